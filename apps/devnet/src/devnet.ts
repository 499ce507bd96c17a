import {
  GOSSIP_INTERVAL_MS,
  PEER_EXPIRY_MS,
  type Block,
  type HeightConvention,
  type PeerAddr,
} from '@chainsync/protocol';
import { createLogger, type Logger } from '@chainsync/service-kit';
import { parseHostPorts, resolveAll } from './addresses.js';
import { describeFaults, faultsFor, parseFaults, type FaultSet, type FaultSpec } from './faults.js';
import { DEFAULT_SEED, generateChain } from './generate.js';
import { MAX_DEVNET_DIFFICULTY, MAX_DEVNET_PEERS, MIN_TIMER_MS } from './limits.js';
import { MinerPool } from './miner-pool.js';
import { DevnetPeer } from './peer.js';
import { ServedChain } from './served-chain.js';

/** Low enough that a devnet mines in a blink, high enough that a random hash rarely passes. */
export const DEFAULT_DEVNET_DIFFICULTY = 3;
export const DEFAULT_DEVNET_BLOCKS = 200;

export interface DevnetOptions {
  peers: number;
  basePort: number;
  host?: string;
  /** The chain every peer starts with; else `blocks` blocks are generated from `seed`. */
  chain?: readonly Block[];
  blocks?: number;
  seed?: string;
  difficulty?: number;
  /** The devnet mines a block every this many ms, the peers taking turns. */
  mineIntervalMs?: number;
  /** Well-known peers outside the devnet (e.g. a node under test): `HOST:PORT,...` or addresses. */
  bootstrap?: string | PeerAddr[];
  /** `PORT:MODE,...` (see faults.ts) or parsed specs. */
  faults?: string | FaultSpec[];
  gossipIntervalMs?: number;
  peerExpiryMs?: number;
  /** What every peer's STATS_REPLY `height` counts: `length` (default, most peers) or `top_index`. */
  heightConvention?: HeightConvention;
  /** Peers are named `<name>-<index>`. Default `devnet`. */
  name?: string;
  /** Default: JSON logs at LOG_LEVEL, else `warn` (tests start many devnets). */
  log?: Logger;
}

export interface Devnet {
  peers: DevnetPeer[];
  difficulty: number;
  /** The chain the devnet started from (peers with a fork fault serve their fork instead). */
  chain: readonly Block[];
  stop(): Promise<void>;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'bad_devnet_options' });
}

function checkOptions(o: DevnetOptions, difficulty: number): void {
  if (!Number.isInteger(o.peers) || o.peers < 1 || o.peers > MAX_DEVNET_PEERS) {
    throw invalid(`peers must be an integer in 1..${MAX_DEVNET_PEERS}`);
  }
  if (!Number.isInteger(o.basePort) || o.basePort < 1 || o.basePort + o.peers - 1 > 65535) {
    throw invalid('base port must leave room for every peer below 65536');
  }
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DEVNET_DIFFICULTY) {
    throw invalid(`difficulty must be an integer in 0..${MAX_DEVNET_DIFFICULTY}`);
  }
  for (const [key, v] of Object.entries({
    mineIntervalMs: o.mineIntervalMs,
    gossipIntervalMs: o.gossipIntervalMs,
    peerExpiryMs: o.peerExpiryMs,
  })) {
    if (v !== undefined && !(Number.isFinite(v) && v >= MIN_TIMER_MS))
      throw invalid(`${key} must be ≥ ${MIN_TIMER_MS}`);
  }
}

/** Each peer's faults, after checking that every targeted port is one of the devnet's. */
function peerFaults(specs: readonly FaultSpec[], ports: number[]): FaultSet[] {
  for (const s of specs) {
    if (s.target !== 'all' && !ports.includes(s.target)) {
      throw invalid(
        `fault for port ${s.target}, which is not a devnet peer (${ports[0]}..${ports[ports.length - 1]})`,
      );
    }
  }
  return ports.map((port) => faultsFor(specs, port));
}

/**
 * Whose turn it is to mine: peers take turns, but only those on the main chain (no fork fault)
 * and at its tip, so a peer that missed an ANNOUNCE never mines a competing block.
 */
function nextMiner(
  peers: readonly DevnetPeer[],
  faults: readonly FaultSet[],
  turn: number,
): DevnetPeer | undefined {
  const main = peers.filter((_, i) => faults[i]!.forkAt === undefined);
  const top = Math.max(...main.map((p) => p.chain.length));
  const eligible = main.filter((p) => p.chain.length === top);
  return eligible[turn % eligible.length];
}

/**
 * The chain each peer starts with: the given or generated base chain, or for a `fork=H` peer a
 * fork of it from H (one per H, shared by every peer with that fault, prefix shared with the base).
 */
async function peerChains(
  opts: DevnetOptions,
  faults: readonly FaultSet[],
  difficulty: number,
  pool: MinerPool,
): Promise<{ base: readonly Block[]; chains: ServedChain[] }> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const base =
    opts.chain ??
    (await generateChain({ blocks: opts.blocks ?? DEFAULT_DEVNET_BLOCKS, difficulty, seed, pool }));
  const served = ServedChain.of(base);
  const forks = new Map<number, ServedChain>();
  for (const { forkAt } of faults) {
    if (forkAt === undefined || forks.has(forkAt)) continue;
    if (forkAt >= base.length)
      throw invalid(`fork=${forkAt} must be below the chain length (${base.length})`);
    const fork = await generateChain({ blocks: base.length, difficulty, seed, base, forkAt, pool });
    forks.set(forkAt, served.rebase(fork));
  }
  return { base, chains: faults.map((f) => (f.forkAt === undefined ? served : forks.get(f.forkAt)!)) };
}

/** Every `intervalMs` the next eligible peer mines one block (never two at once). Returns the timer. */
function startMining(
  peers: readonly DevnetPeer[],
  faults: readonly FaultSet[],
  intervalMs: number,
  log: Logger,
  stopping: () => boolean,
): NodeJS.Timeout {
  let turn = 0;
  let mining = false;
  return setInterval(() => {
    if (mining) return;
    const miner = nextMiner(peers, faults, turn++);
    if (!miner) return;
    mining = true;
    miner
      .mineOne()
      .catch((err: unknown) => {
        if (!stopping()) log.warn({ err: String(err), peer: miner.port }, 'mining failed');
      })
      .finally(() => (mining = false));
  }, intervalMs);
}

/**
 * Starts `peers` devnet peers on basePort… in this process. Peer 0 is the devnet's hub: every
 * other peer knows it (and the external bootstrap peers) as well-known, so gossip spreads all
 * of them into each other's tables within a round.
 */
export async function startDevnet(opts: DevnetOptions): Promise<Devnet> {
  const difficulty = opts.difficulty ?? DEFAULT_DEVNET_DIFFICULTY;
  checkOptions(opts, difficulty);
  const host = opts.host ?? '127.0.0.1';
  const name = opts.name ?? 'devnet';
  const log =
    opts.log ?? createLogger('devnet', name, (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn');
  const ports = Array.from({ length: opts.peers }, (_, i) => opts.basePort + i);
  const specs = typeof opts.faults === 'string' ? parseFaults(opts.faults) : (opts.faults ?? []);
  const faults = peerFaults(specs, ports);
  const external = await resolveAll(
    typeof opts.bootstrap === 'string' ? parseHostPorts(opts.bootstrap) : (opts.bootstrap ?? []),
  );

  const pool = new MinerPool();
  const peers: DevnetPeer[] = [];
  let mineTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    clearInterval(mineTimer);
    await Promise.all(peers.map((p) => p.stop()));
    await pool.close();
  };
  try {
    const { base, chains } = await peerChains(opts, faults, difficulty, pool);
    const hub = { host, port: ports[0]! };
    for (const [i, port] of ports.entries()) {
      const chain = chains[i]!;
      const f = faults[i]!;
      const peer = await DevnetPeer.start({
        host,
        port,
        name: `${name}-${i}`,
        chain,
        difficulty,
        bootstrap: i === 0 ? external : [hub, ...external],
        faults: f,
        gossipIntervalMs: opts.gossipIntervalMs ?? GOSSIP_INTERVAL_MS,
        peerExpiryMs: opts.peerExpiryMs ?? PEER_EXPIRY_MS,
        log,
        pool,
        heightConvention: opts.heightConvention,
      });
      peers.push(peer);
      const summary = `${chain.length} blocks, tip ${chain.tip.hash.slice(0, 12)}…, faults ${describeFaults(f)}`;
      log.info(
        {
          peer: `${host}:${port}`,
          name: peer.name,
          height: chain.length,
          tip: chain.tip.hash,
          faults: describeFaults(f),
        },
        `devnet peer ${peer.name} on ${host}:${port}: ${summary}`,
      );
    }
    if (opts.mineIntervalMs !== undefined) {
      mineTimer = startMining(peers, faults, opts.mineIntervalMs, log, () => stopping);
    }
    return { peers, difficulty, chain: base, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
