/**
 * The harness's eyes on one node, run inside the node's host: the launcher's private NATS listens
 * on that host's loopback, out of the test process's reach. Started by net-harness.ts as
 * `node test/net/net-agent.ts NATS_URL PREFIX CREDS_DIR POLL_MS` (Node runs TypeScript by
 * stripping its types), it reads the node with its read-only `observer` key through NodeClient
 * and prints one JSON line per event on stdout, each with `t` (epoch ms):
 *
 * - `tip`: the tip moved. `added` lists the blocks new to the node's chain since the last `tip`
 *   line, `lost` the ones a switch replaced, both `[height, hash]` within the last
 *   `WINDOW` heights (`deep`: a change reached the window's bottom, so it may go deeper);
 * - `status`: consensus' phase or completed rounds changed;
 * - on a line `peers` on stdin, `peers`: the gossip table (`peers.list`);
 * - on `network`, `network`: what consensus learned of each peer (`consensus.network`);
 * - on `hashes FROM` on stdin, `hashes`: the hash of every block from FROM to the tip.
 *
 * The tip is polled (every POLL_MS: the observer may not listen to `store.committed`), so an
 * arrival is seen within POLL_MS plus a bus round trip.
 */
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as NodeClientModule from '../../apps/node/src/node-client.js';
import type * as BusCredentialsModule from '../../apps/node/src/bus-credentials.js';

const WINDOW = 256;
const STATUS_MS = 1_000;

const dist = (file: string) =>
  pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../apps/node/dist', file)).href;
// The built modules, found from this file (types from their sources: erased when Node runs this).
const { NodeClient } = (await import(dist('node-client.js'))) as typeof NodeClientModule;
const { roleAuth } = (await import(dist('bus-credentials.js'))) as typeof BusCredentialsModule;
type Client = Awaited<ReturnType<typeof NodeClient.connect>>;

const [url, prefix, credsDir, pollArg] = process.argv.slice(2);
if (!url || !prefix || !credsDir) throw new Error('usage: net-agent.ts NATS_URL PREFIX CREDS_DIR [POLL_MS]');
const pollMs = Number(pollArg ?? 50);
/** The first connection may time out on a loaded machine (the node's NATS just started): try again. */
async function connect(): Promise<Client> {
  for (;;) {
    try {
      return await NodeClient.connect(url!, prefix!, roleAuth(credsDir!, 'observer'));
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
const client = await connect();
const out = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...line })}\n`);

/** The node's chain near its tip, as last seen: height → hash. */
const mirror = new Map<number, string>();
let top = -1;
let topHash: string | null = null;

async function pollTip(): Promise<void> {
  const tip = await client.tip();
  if (tip.height === top && tip.hash === topHash) return;
  const t = Date.now();
  const from = Math.max(0, tip.height - WINDOW + 1);
  const blocks = await client.blocks(from, tip.height + 1);
  const last = blocks.at(-1);
  if (!last) return;
  const added: [number, string][] = [];
  const lost: [number, string][] = [];
  for (const b of blocks) {
    const old = mirror.get(b.height);
    if (old === b.hash) continue;
    if (old !== undefined) lost.push([b.height, old]);
    added.push([b.height, b.hash]);
    mirror.set(b.height, b.hash);
  }
  for (const [h, x] of mirror) {
    if (h > last.height) lost.push([h, x]);
    if (h > last.height || h < from) mirror.delete(h);
  }
  const deep = from > 0 && (added[0]?.[0] === from || top < from - 1);
  top = last.height;
  topHash = last.hash;
  out({ k: 'tip', t, h: top, x: topHash, added, lost, ...(deep ? { deep } : {}) });
}

let rounds = -1;
let phase = '';
async function pollStatus(): Promise<void> {
  const s = await client.status();
  if (s.roundsCompleted === rounds && s.phase === phase) return;
  rounds = s.roundsCompleted;
  phase = s.phase;
  out({ k: 'status', rounds, phase, h: s.tip.height });
}

/** Runs `fn` every `ms`, one call at a time; a failed call (the node restarting) is tried again. */
function every(ms: number, fn: () => Promise<void>): void {
  const tick = () => void fn().then(schedule, schedule);
  const schedule = () => setTimeout(tick, ms);
  tick();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'peers')
    client.request('peers.list', {}).then(
      (r) => out({ k: 'peers', peers: r.peers, self: r.self }),
      (err: unknown) => out({ k: 'peers', error: String(err) }),
    );
  else if (cmd === 'network')
    client.request('consensus.network', {}).then(
      (r) => out({ k: 'network', peers: r.network.peers }),
      (err: unknown) => out({ k: 'network', error: String(err) }),
    );
  else if (cmd === 'hashes')
    client.tip().then(
      async (tip) => {
        const blocks = await client.blocks(Number(arg), tip.height + 1);
        out({ k: 'hashes', from: Number(arg), hashes: blocks.map((b) => b.hash) });
      },
      (err: unknown) => out({ k: 'hashes', error: String(err) }),
    );
});

every(pollMs, pollTip);
every(STATUS_MS, pollStatus);
out({ k: 'ready' });
