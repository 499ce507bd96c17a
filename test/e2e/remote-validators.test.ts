import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetwork,
  netnsSupport,
  repoRoot,
  waitFor,
  type Host,
  type Network,
  type ServiceProcess,
} from '@chainsync/testing';
import { ensureBusCredentials, nkeyFile, writeServerConfig } from '../../apps/node/src/bus-credentials.js';

/**
 * Services on other hosts: two hosts of a test network (network namespaces, each with its own
 * address). Host A runs the NATS server, the node (`npm run node -- --nats … --bus-creds …`, one
 * local validator) and the devnets it syncs from; host B runs two more validators with `npm run
 * service -- validator --count 2`, joined to A's NATS over the network with their own key. Both
 * kinds validate a sync; with the link A–B cut the node syncs a new, taller chain with its local
 * validator alone; restored, the remote validators take batches again.
 */

const MAIN = join(repoRoot, 'apps/node/dist/main.js');
const DEVNET = join(repoRoot, 'apps/devnet/dist/main.js');
const PREFIX = 'remote';
const support = netnsSupport();

let dir: string;
let net: Network;
let a: Host;
let b: Host;
let natsUrl: string;
let remote: ServiceProcess;
let node: ServiceProcess;
let remotePids: string[];

/** Reads, inside host A as the read-only observer: consensus' status and every validator's requests. */
const OBSERVE = `
import { connect } from '@nats-io/transport-node';
import { collectServiceStats, natsConnectOptions } from '@chainsync/service-kit';
const [url, prefix, nkeyFile] = process.argv.slice(1);
const nc = await connect(natsConnectOptions({ url, name: 'observer', role: 'observer', prefix, auth: { nkeyFile } }));
const status = (await nc.request(prefix + '.consensus.status', '{}', { timeout: 3000 })).json().status;
const { stats } = await collectServiceStats(nc, { name: 'validator', waitMs: 700, maxInstances: 16 });
const validators = Object.fromEntries(
  stats.filter((s) => s.metadata?.prefix === prefix).map((s) => [s.metadata.pid, s.endpoints.reduce((t, e) => t + e.num_requests, 0)]),
);
console.log(JSON.stringify({ phase: status.phase, tip: status.tip, validators }));
await nc.close();`;

interface Observed {
  phase: string;
  tip: { height: number; hash: string | null };
  validators: Record<string, number>;
}
const observe = async (): Promise<Observed> =>
  JSON.parse(
    await a.run(process.execPath, [
      '--input-type=module',
      '-e',
      OBSERVE,
      natsUrl,
      PREFIX,
      nkeyFile(dir, 'observer'),
    ]),
  ) as Observed;

/** A devnet on host A's loopback: `blocks` blocks of the chain seeded `seed`, mining nothing. */
function devnet(seed: string, blocks: number, basePort: number): ServiceProcess {
  return a.spawn(`devnet-${seed}`, process.execPath, [
    DEVNET,
    '--peers=2',
    `--base-port=${basePort}`,
    `--blocks=${blocks}`,
    `--seed=${seed}`,
    '--difficulty=1',
    '--mine-interval=100000',
    '--bootstrap=127.0.0.1:8999',
  ]);
}

/** The top hash of a devnet's chain, asked over UDP inside host A. */
const devnetTop = async (port: number, height: number) =>
  (
    await a.run(process.execPath, [
      '-e',
      `const s = require('dgram').createSocket('udp4');
       s.on('message', (m) => { const r = JSON.parse(m); if (r.type === 'GET_BLOCK_REPLY') { console.log(r.hash); process.exit(0); } });
       s.send(JSON.stringify({ type: 'GET_BLOCK', height: ${height} }), ${port}, '127.0.0.1');
       setTimeout(() => process.exit(1), 3000);`,
    ])
  ).trim();

async function syncedTo(height: number, timeoutMs: number): Promise<Observed> {
  return waitFor(
    async () => {
      const o = await observe().catch(() => undefined);
      return o?.phase === 'synced' && o.tip.height === height ? o : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `the node synced at height ${height}` },
  );
}

const remoteWork = (o: Observed) => remotePids.reduce((t, pid) => t + (o.validators[pid] ?? 0), 0);
const localWork = (o: Observed) =>
  Object.entries(o.validators)
    .filter(([pid]) => !remotePids.includes(pid))
    .reduce((t, [, n]) => t + n, 0);

describe('validators on another host', () => {
  beforeAll(async () => {
    if (!support.ok) throw new Error(`this test needs network namespaces: ${support.reason}`);
    dir = mkdtempSync(join(tmpdir(), 'chainsync-remote-'));
    net = await createNetwork({ subnet: '10.77.15' });
    a = await net.addHost('node');
    b = await net.addHost('validators');
    natsUrl = `nats://${a.ip}:4222`;
    const creds = ensureBusCredentials(join(dir, 'bus'));
    dir = creds.dir;
    a.spawn('nats-server', 'nats-server', [
      '-c',
      writeServerConfig(creds, { prefix: PREFIX }),
      '-a',
      a.ip,
      '-p',
      '4222',
    ]);
    node = a.spawn(
      'node',
      process.execPath,
      [
        MAIN,
        'run',
        '--peers=127.0.0.1:9000,127.0.0.1:9001',
        '--udp-port=8999',
        '--udp-host=127.0.0.1',
        '--difficulty=1',
        `--data-dir=${join(dir, '..', 'node')}`,
        '--validators=1',
        `--prefix=${PREFIX}`,
        `--nats=${natsUrl}`,
        `--bus-creds=${dir}`,
        '--log-level=warn',
      ],
      // A round every 2 s finds each new devnet's taller chain at once (they mine nothing to announce).
      { STATS_WINDOW_MS: '300', CONSENSUS_INTERVAL_MS: '2000' },
    );
    remote = b.spawn('remote-validators', process.execPath, [
      MAIN,
      'service',
      'validator',
      '--count=2',
      `--nats=${natsUrl}`,
      `--nkey=${nkeyFile(dir, 'validator')}`,
      `--prefix=${PREFIX}`,
      '--log-level=warn',
    ]);
    const line = await waitFor(() => /validator ×2 .*pids (\d+),(\d+)/.exec(remote.output()) ?? undefined, {
      timeoutMs: 20_000,
      what: 'the remote validators to start',
    });
    remotePids = [line[1]!, line[2]!];
    await waitFor(
      () => /validator-2 ready/.test(remote.output()) && /validator-1 ready/.test(remote.output()),
      {
        timeoutMs: 30_000,
        what: `the remote validators ready over the network:\n${remote.output()}`,
      },
    );
    // The chain to sync appears once every validator is up (the node's own loads after the store,
    // gossip and consensus): the first sync is the one they share.
    await waitFor(() => /chainsync run: node .* up/.test(node.output()), {
      timeoutMs: 30_000,
      what: `the node up:\n${node.output()}`,
    });
    devnet('first', 6000, 9000);
  });

  afterAll(async () => {
    await net?.destroy();
    if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('share the validation of a sync with the local validator', async () => {
    const o = await syncedTo(5999, 90_000);
    expect(o.tip.hash).toBe(await devnetTop(9000, 5999));
    expect(Object.keys(o.validators)).toHaveLength(3);
    expect(remoteWork(o), JSON.stringify(o.validators)).toBeGreaterThan(0);
    expect(localWork(o)).toBeGreaterThan(0);
  });

  it('with the link cut, the node syncs a taller chain with its local validator alone', async () => {
    const before = await observe();
    await net.cut(a, b);
    devnet('second', 9000, 9100);
    const o = await syncedTo(8999, 120_000);
    expect(o.tip.hash).toBe(await devnetTop(9100, 8999));
    expect(localWork(o)).toBeGreaterThan(localWork(before));
    expect(
      remotePids.every((pid) => o.validators[pid] === undefined),
      'remote validators unreachable',
    ).toBe(true);
  });

  it('with the link restored, the remote validators take batches again', async () => {
    await net.restore(a, b);
    const back = await waitFor(
      async () => {
        const o = await observe().catch(() => undefined);
        return o && remotePids.every((pid) => o.validators[pid] !== undefined) ? o : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'the remote validators back on the bus' },
    );
    devnet('third', 12000, 9200);
    const o = await syncedTo(11999, 120_000);
    expect(o.tip.hash).toBe(await devnetTop(9200, 11999));
    expect(remoteWork(o)).toBeGreaterThan(remoteWork(back));
    expect(node.proc.exitCode).toBeNull();
  });
});
