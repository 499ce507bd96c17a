import { isIPv4 } from 'node:net';
import type { Block, PeerAddr } from '@chainsync/protocol';
import { createLogger, type Logger } from '@chainsync/service-kit';
import { DEFAULT_DEVNET_DIFFICULTY } from '../devnet.js';
import { MAX_DEVNET_DIFFICULTY, MIN_TIMER_MS } from '../limits.js';
import { prng } from '../content.js';
import { MinerPool } from '../miner-pool.js';
import { ModeContext, type HostileEnv, type ModeStats } from './context.js';
import { RemoteHonestChain, localHonestChain, type HonestChain } from './honest.js';
import { HostileOptionError, resolveKnobs } from './knobs.js';
import { HOSTILE_GOSSIP_INTERVAL_MS } from './limits.js';
import { HOSTILE_MODES, modeDefinition, type HostileKnobs, type HostileMode } from './registry.js';

export interface HostileOptions {
  /** The attacks to mount, or `'all'`. */
  modes: readonly HostileMode[] | 'all';
  /** The node under attack (an IPv4 literal): the only outside address the tool sends to. */
  target: PeerAddr;
  /** Where every attack socket binds (default 127.0.0.1). */
  host?: string;
  /** The honest chain (or a getter, for a chain that grows); give this or `honestPeer`. */
  chain?: readonly Block[] | (() => readonly Block[]);
  /** An honest peer to read the honest chain from (STATS, GET_BLOCK on demand); give this or `chain`. */
  honestPeer?: PeerAddr;
  /** The network's difficulty (default the devnet's, 3): for mining, work checks and junk hashes. */
  difficulty?: number;
  /** Per-mode knobs; anything left out takes its default (see the README table). */
  knobs?: HostileKnobs;
  /** How often joined attackers re-gossip (default 5 s, so they stay in a 60 s table). */
  gossipIntervalMs?: number;
  /** Random source for content, ids, heights and addresses (default Math.random); seed it to replay a run. */
  rand?: () => number;
  /** Default: JSON logs at LOG_LEVEL, else `warn`. */
  log?: Logger;
}

export type HostileStats = { [M in HostileMode]?: ModeStats };

export interface HostileHandle {
  readonly modes: readonly HostileMode[];
  readonly target: PeerAddr;
  /** A snapshot of what each running mode sent and got back, and its own counters. */
  stats(): HostileStats;
  /** Where a mode's sockets are bound now (its identities as the node sees them). */
  addresses(mode: HostileMode): PeerAddr[];
  /** Closes every socket and timer of every mode (idempotent). */
  stop(): Promise<void>;
}

function checkAddr(what: string, a: PeerAddr): void {
  if (!isIPv4(a.host) || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
    throw new HostileOptionError(`${what} must be an IPv4 literal and a port (got ${a.host}:${a.port})`);
  }
}

function checkOptions(opts: HostileOptions, difficulty: number, gossipIntervalMs: number): HostileMode[] {
  const modes = opts.modes === 'all' ? [...HOSTILE_MODES] : [...new Set(opts.modes)];
  if (modes.length === 0) throw new HostileOptionError('give at least one hostile mode');
  for (const m of modes) {
    if (!HOSTILE_MODES.includes(m)) throw new HostileOptionError(`unknown hostile mode "${m}"`);
  }
  checkAddr('target', opts.target);
  // Joined attackers advertise the host they bind, so it must be an address the node can send to.
  if (opts.host !== undefined && (!isIPv4(opts.host) || opts.host === '0.0.0.0'))
    throw new HostileOptionError('host must be an IPv4 literal other than 0.0.0.0');
  if ((opts.chain === undefined) === (opts.honestPeer === undefined)) {
    throw new HostileOptionError('give the honest chain or an honest peer, one of them');
  }
  if (opts.honestPeer) checkAddr('honestPeer', opts.honestPeer);
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DEVNET_DIFFICULTY) {
    throw new HostileOptionError(`difficulty must be an integer in 0..${MAX_DEVNET_DIFFICULTY}`);
  }
  if (!(gossipIntervalMs >= MIN_TIMER_MS))
    throw new HostileOptionError(`gossipIntervalMs must be ≥ ${MIN_TIMER_MS}`);
  for (const name of Object.keys(opts.knobs ?? {})) {
    if (!modes.includes(name as HostileMode))
      throw new HostileOptionError(`knobs for ${name}, which is not running`);
  }
  return modes;
}

/**
 * Mounts the attacks of issue 12 against `target`, each from its own sockets on `host`. Knobs
 * are checked before anything is opened; if a mode fails to start, the ones started are stopped.
 */
export async function startHostile(opts: HostileOptions): Promise<HostileHandle> {
  const difficulty = opts.difficulty ?? DEFAULT_DEVNET_DIFFICULTY;
  const gossipIntervalMs = opts.gossipIntervalMs ?? HOSTILE_GOSSIP_INTERVAL_MS;
  const modes = checkOptions(opts, difficulty, gossipIntervalMs);
  const knobs = modes.map((m) => {
    const def = modeDefinition(m);
    return resolveKnobs(m, def.knobs, (opts.knobs?.[m] ?? {}) as Record<string, unknown>);
  });
  const host = opts.host ?? '127.0.0.1';
  // One draw per mode seeds that mode's own stream (see ModeContext).
  const rand = opts.rand ?? Math.random;
  const log =
    opts.log ?? createLogger('devnet', 'hostile', (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn');
  const honest: HonestChain = opts.honestPeer
    ? await RemoteHonestChain.open(opts.honestPeer, host)
    : localHonestChain(opts.chain!);
  let pool: MinerPool | undefined;
  const env: HostileEnv = {
    target: { ...opts.target },
    host,
    difficulty,
    honest,
    gossipIntervalMs,
    own: new Set(),
    miner: () => (pool ??= new MinerPool()),
  };
  const contexts = new Map<HostileMode, ModeContext>();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all([...contexts.values()].map((c) => c.close()));
      await honest.close();
      await pool?.close();
    })());
  try {
    for (const [i, mode] of modes.entries()) {
      const def = modeDefinition(mode);
      const ctx = new ModeContext(mode, env, prng(Math.floor(rand() * 2 ** 32)), def.counters);
      contexts.set(mode, ctx);
      await def.start(ctx, knobs[i]!);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ modes, target: env.target }, 'hostile modes started');
  return {
    modes,
    target: env.target,
    stats: () => Object.fromEntries([...contexts].map(([m, c]) => [m, c.stats()])) as HostileStats,
    addresses: (mode) => contexts.get(mode)?.addresses() ?? [],
    stop,
  };
}
