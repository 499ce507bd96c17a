import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, startApp, type ServiceProcess } from '@chainsync/testing';
import type { PeerAddr } from '@chainsync/protocol';
import { generateChain, writeChainFile } from '../../apps/devnet/src/index.js';
import { fetchHeights, measureServing, startEchoServer, waitUdpAnswer } from './_pipelined-client.js';

/**
 * devnet-serve: GET_BLOCK replies per second from one devnet peer (its own process), against a
 * raw UDP echo server (also its own process) measured in the same run with the same pipelined
 * client. The ratio says how close serving a block gets to the cost of bouncing a datagram.
 */

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 64);
const HOST = '127.0.0.1';

const measure = (target: PeerAddr, echo: boolean) => measureServing(target, BLOCKS, WINDOW, echo);

const dir = mkdtempSync(join(tmpdir(), 'devnet-serve-'));
const procs: ServiceProcess[] = [];
try {
  const chainFile = join(dir, 'chain.jsonl');
  const t0 = performance.now();
  await writeChainFile(chainFile, await generateChain({ blocks: BLOCKS, difficulty: 1, seed: 'bench' }));
  console.log(
    `chain: ${BLOCKS} blocks at difficulty 1 generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const echoAddr = { host: HOST, port: await freeUdpPort() };
  procs.push(startEchoServer(echoAddr.port));
  await waitUdpAnswer(echoAddr);

  const peerAddr = { host: HOST, port: await freeUdpPort() };
  procs.push(
    startApp('devnet', { LOG_LEVEL: 'warn' }, [
      '--peers',
      '1',
      '--base-port',
      String(peerAddr.port),
      '--chain',
      chainFile,
      '--difficulty',
      '1',
    ]),
  );
  await waitUdpAnswer(peerAddr);

  // Warm both sides up (JIT, socket buffers), then alternate so load from elsewhere hits both alike.
  await fetchHeights({ targets: [echoAddr], from: 0, to: 5_000, window: WINDOW, accept: () => true });
  await fetchHeights({ targets: [peerAddr], from: 0, to: 5_000, window: WINDOW });
  const echoRates: number[] = [];
  const peerRates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const e = await measure(echoAddr, true);
    const p = await measure(peerAddr, false);
    echoRates.push(e.rate);
    peerRates.push(p.rate);
    console.log(
      `round ${round}: echo ${Math.round(e.rate)} replies/s (${e.resent} resent), devnet peer ${Math.round(p.rate)} replies/s (${p.resent} resent)`,
    );
  }
  const echoRps = Math.max(...echoRates);
  const peerRps = Math.max(...peerRates);
  const ratio = peerRps / echoRps;
  console.log(
    `best of ${ROUNDS}: echo ${Math.round(echoRps)} /s, devnet peer ${Math.round(peerRps)} /s, ratio ${ratio.toFixed(2)} (goal ≥ 0.5); ${BLOCKS} heights per run, window ${WINDOW}`,
  );
  console.log(
    JSON.stringify({
      bench: 'devnet-serve',
      echo_rps: Math.round(echoRps),
      peer_rps: Math.round(peerRps),
      ratio: Number(ratio.toFixed(3)),
    }),
  );
} finally {
  await Promise.all(procs.map((p) => p.kill()));
  rmSync(dir, { recursive: true, force: true });
}
