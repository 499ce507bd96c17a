import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block, PeerAddr } from '@chainsync/protocol';
import {
  TestUdpClient,
  freeUdpPort,
  freeUdpPortRange,
  repoRoot,
  startProcess,
  waitFor,
} from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { NodeClient } from '../../apps/node/src/node-client.js';
import { runProbe, type CheckId, type ProbeReport } from '../../apps/probe/src/index.js';
import { QUIRKS, startBrokenPeer, type BrokenPeer, type Quirk } from './broken-peer.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * `npm run probe` end to end: against a chainsync node every check passes; against devnet peers
 * with each fault, and against peers with the habits of real course peers, exactly the check that
 * names the fault fails and no other.
 */

const D = 2;
const HOST = '127.0.0.1';
const at = (port: number): PeerAddr => ({ host: HOST, port });
const failed = (r: ProbeReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
const explain = (r: ProbeReport) =>
  r.checks
    .map((c) => `${c.status} ${c.id}: ${c.sent} → ${c.got}${c.detail ? ` (${c.detail})` : ''}`)
    .join('\n');

function probe(port: number, o: { reference?: PeerAddr; robustness?: boolean } = {}): Promise<ProbeReport> {
  return runProbe({
    target: at(port),
    reference: o.reference ?? null,
    difficulty: D,
    full: false,
    robustness: o.robustness ?? false,
    gossip: true,
    ratePerS: 50,
    bindHost: HOST,
    say: () => {},
  });
}

/** The check lines of a text report (`STATUS  id  spec  sent → got`), as a report's checks. */
function fromText(output: string): ProbeReport {
  const checks = [...output.matchAll(/^(PASS|WARN|FAIL|SKIP) {2}(\S+) /gm)].map(([, status, id]) => ({
    id: id as CheckId,
    status: status!.toLowerCase(),
  }));
  return { checks } as unknown as ProbeReport;
}

/** The built CLI on a peer here, as `npm run probe -- 127.0.0.1:PORT --difficulty 2 …` runs it. */
const cli = (port: number, ...args: string[]) =>
  startProcess(
    'probe',
    process.execPath,
    [join(repoRoot, 'apps/probe/dist/main.js'), `${HOST}:${port}`, '--difficulty', String(D), ...args],
    {},
  );

let chain: Block[];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  chain = await generateChain({ blocks: 60, difficulty: D, seed: 'probe-e2e' });
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('the probe against faulty peers', () => {
  /** Devnet fault → the one check that must fail. */
  const DEVNET: [fault: string, expected: CheckId[]][] = [
    ['', []],
    ['drop=0.3', ['replies.loss']],
    ['delay=1200ms', ['replies.time']],
    ['lie', ['stats.convention']],
    ['corrupt=0.5', ['blocks.valid']],
    ['silent', ['get_block.genesis']],
    ['fork=40', ['blocks.reference']],
  ];
  /** Broken peer → the one check that must fail. */
  const BROKEN: Record<Quirk, CheckId[]> = {
    'none-strings': ['get_block.above_top'],
    'reply-to-source': ['gossip.reply'],
    'no-forward': ['gossip.forward'],
    'answers-duplicates': ['gossip.duplicate'],
    'negative-index': ['get_block.bad_heights'],
    'dies-on-bad-utf8': ['robustness.malformed'],
    'blocks-during-consensus': ['consensus.stats'],
    'ignores-announce': ['announce.valid'],
    'takes-any-announce': ['announce.invalid'],
    'top-index': [],
  };
  let devnet: Devnet;
  let base: number;
  const broken = new Map<Quirk, BrokenPeer>();

  beforeAll(async () => {
    base = await freeUdpPortRange(DEVNET.length);
    devnet = await startDevnet({
      peers: DEVNET.length,
      basePort: base,
      chain,
      difficulty: D,
      faults: DEVNET.flatMap(([f], i) => (f ? [`${base + i}:${f}`] : [])).join(','),
    });
    cleanups.push(() => devnet.stop());
    for (const q of QUIRKS) {
      const peer = await startBrokenPeer(q, chain, D);
      broken.set(q, peer);
      cleanups.push(() => peer.stop());
    }
  });

  it('each fault fails exactly the check that names it', async () => {
    const reference = at(base);
    // Every probe at once: each peer is its own, and the slowest (delay) sets the time.
    const reports = await Promise.all([
      // The healthy peer through the CLI's --json: exit 0, one JSON document on stdout.
      (async () => {
        // Its own reference: the comparison runs, and must agree.
        const p = cli(base, '--robustness', '--reference', `${HOST}:${base}`, '--json');
        expect(await p.exited, p.output()).toBe(0);
        return { name: 'healthy', r: JSON.parse(p.output().slice(p.output().indexOf('{'))) as ProbeReport };
      })(),
      ...DEVNET.slice(1).map(([fault], i) =>
        // The delayed peer skips the malformed datagrams: 17 of them, each awaiting a slow STATS.
        probe(base + i + 1, { reference, robustness: !fault.startsWith('delay') }).then((r) => ({
          name: fault,
          r,
        })),
      ),
      ...QUIRKS.filter((q) => q !== 'none-strings').map((q) =>
        probe(broken.get(q)!.port, { robustness: true }).then((r) => ({ name: q, r })),
      ),
      // One through the CLI's text report: exit 1, and the failing check's line.
      (async () => {
        const p = cli(broken.get('none-strings')!.port, '--robustness');
        expect(await p.exited, p.output()).toBe(1);
        expect(p.output()).toMatch(/^FAIL {2}get_block\.above_top .*"None"/m);
        return { name: 'none-strings', r: fromText(p.output()) };
      })(),
    ]);
    const expected = new Map<string, CheckId[]>([
      ...DEVNET.map(([f, e]) => [f || 'healthy', e] as [string, CheckId[]]),
      ...Object.entries(BROKEN),
    ]);
    for (const { name, r } of reports)
      expect(failed(r), `${name}:\n${explain(r)}`).toEqual(expected.get(name));
    // A healthy devnet peer passes everything (nothing skipped: reference and robustness given).
    const healthy = reports.find((x) => x.name === 'healthy')!.r;
    expect(healthy.summary, explain(healthy)).toEqual({
      pass: healthy.checks.length,
      warn: 0,
      fail: 0,
      skip: 0,
    });
    // The top-index peer is within the spec: a warning, not a failure.
    const topIndex = reports.find((x) => x.name === 'top-index')!.r;
    expect(topIndex.checks.find((c) => c.id === 'stats.convention')?.status).toBe('warn');
  });
});

describe('the probe against a chainsync node', () => {
  let devnet: Devnet;
  let node: NodeHandle;
  let udpPort: number;

  beforeAll(async () => {
    const base = await freeUdpPortRange(2);
    udpPort = await freeUdpPort();
    devnet = await startDevnet({ peers: 2, basePort: base, chain, difficulty: D, bootstrap: [at(udpPort)] });
    cleanups.push(() => devnet.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'cs-probe-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    node = await launchDevnetNode(devnet, { udpPort, dataDir, name: 'probe', difficulty: D });
    cleanups.push(() => node.stop());
    const client = await NodeClient.connect(node.natsUrl, node.prefix, node.busAuth);
    cleanups.push(() => client.close());
    await waitFor(async () => (await client.tip()).height === chain.length - 1, {
      timeoutMs: 30_000,
      what: 'the node to sync',
    });
  });

  it('greets a newly learned peer with its GOSSIP at once, not at the next 30 s re-gossip', async () => {
    const peer = await TestUdpClient.open();
    cleanups.push(async () => peer.close());
    peer.send(at(udpPort), { type: 'GOSSIP', host: HOST, port: peer.port, id: 'greet-me', name: 'fragile' });
    const greeting = await peer.waitFor((m, from) => m.type === 'GOSSIP' && from.port === udpPort, 3_000);
    expect(greeting).toMatchObject({ type: 'GOSSIP', host: HOST, port: udpPort, name: 'probe' });
  });

  it('npm run probe passes every check and exits 0', async () => {
    const reference = `${HOST}:${devnet.peers[0]!.port}`;
    const text = cli(udpPort, '--robustness', '--reference', reference);
    expect(await text.exited, text.output()).toBe(0);
    const report = fromText(text.output());
    expect(report.checks).toHaveLength(17);
    expect(
      report.checks.filter((c) => c.status !== 'pass'),
      text.output(),
    ).toEqual([]);
    expect(text.output()).toMatch(/: 17 pass, 0 warn, 0 fail, 0 skipped in /);
    // No service of the node restarted under the probe.
    expect(Object.values(node.restarts).every((n) => n === 0)).toBe(true);
  });
});
