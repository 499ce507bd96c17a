import { parseDurationMs } from './cli-args.js';
import { MAX_FAULT_DELAY_MS } from './limits.js';

/**
 * Misbehaviour a devnet peer can be told to show, for tests of the node. Faults touch only the
 * data plane (STATS_REPLY and GET_BLOCK_REPLY); gossip stays honest so membership is stable.
 */
export interface FaultSet {
  /** Drop this fraction of replies. */
  drop?: number;
  /** Send each reply this many ms late (on a timer; serving goes on meanwhile). */
  delayMs?: number;
  /** Report a taller height and a hash it cannot serve. */
  lie?: boolean;
  /** Serve this fraction of blocks with a broken nonce or hash. */
  corrupt?: number;
  /** Never answer GET_BLOCK. */
  silent?: boolean;
  /** Serve a different valid chain from this height on. */
  forkAt?: number;
  /**
   * Answer at most this many requests a second, one after the other, as a one-thread peer does:
   * requests wait their turn (reply time grows with the queue), beyond the queue's bound they are lost.
   */
  rate?: number;
}

/** Which peers a fault applies to: one port, or every peer of the devnet. */
export type FaultTarget = number | 'all';
export interface FaultSpec {
  target: FaultTarget;
  faults: FaultSet;
}

export class FaultParseError extends Error {
  readonly code = 'bad_fault';
}

const ALL_TARGETS = new Set(['*', 'all']);

function fraction(mode: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new FaultParseError(`${mode} needs a fraction in 0..1, e.g. ${mode}=0.3`);
  }
  return n;
}

function duration(value: string | undefined): number {
  const ms = parseDurationMs(value);
  if (!Number.isFinite(ms) || ms > MAX_FAULT_DELAY_MS) {
    throw new FaultParseError(
      `delay needs a duration up to ${MAX_FAULT_DELAY_MS} ms, e.g. delay=50ms or delay=1s`,
    );
  }
  return ms;
}

function parseMode(mode: string, value: string | undefined): FaultSet {
  switch (mode) {
    case 'drop':
      return { drop: fraction(mode, value) };
    case 'corrupt':
      return { corrupt: fraction(mode, value) };
    case 'delay':
      return { delayMs: duration(value) };
    case 'lie':
    case 'silent':
      if (value !== undefined) throw new FaultParseError(`${mode} takes no value`);
      return { [mode]: true };
    case 'rate': {
      const r = Number(value);
      if (value === undefined || !Number.isFinite(r) || r <= 0 || r > 1_000_000) {
        throw new FaultParseError('rate needs replies per second in (0, 1000000], e.g. rate=500');
      }
      return { rate: r };
    }
    case 'fork': {
      const h = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(h)) {
        throw new FaultParseError('fork needs a height, e.g. fork=50');
      }
      return { forkAt: h };
    }
    default:
      throw new FaultParseError(
        `unknown fault mode "${mode}" (drop, delay, lie, corrupt, silent, fork, rate)`,
      );
  }
}

/**
 * Parses `--faults "PORT:MODE,..."`, e.g. `20001:drop=0.3,20001:delay=5ms,*:corrupt=0.1`.
 * `*` or `all` instead of a port means every peer.
 */
export function parseFaults(text: string): FaultSpec[] {
  const specs: FaultSpec[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([^:]+):([a-z]+)(?:=(.*))?$/.exec(item);
    if (!m) throw new FaultParseError(`"${item}" is not PORT:MODE or PORT:MODE=VALUE`);
    const [, where, mode, value] = m as unknown as [string, string, string, string | undefined];
    let target: FaultTarget;
    if (ALL_TARGETS.has(where)) target = 'all';
    else {
      target = Number(where);
      if (!/^\d+$/.test(where) || target < 1 || target > 65535) {
        throw new FaultParseError(`"${where}" is not a port (or * / all)`);
      }
    }
    specs.push({ target, faults: parseMode(mode, value) });
  }
  return specs;
}

/** The faults of one peer: the `all` ones, then its own on top (later settings win). */
export function faultsFor(specs: readonly FaultSpec[], port: number): FaultSet {
  const merged: FaultSet = {};
  for (const s of specs) if (s.target === 'all') Object.assign(merged, s.faults);
  for (const s of specs) if (s.target === port) Object.assign(merged, s.faults);
  return merged;
}

/** `drop=0.3,delay=50ms` — for logs and the start-up summary. */
export function describeFaults(f: FaultSet): string {
  const parts: string[] = [];
  if (f.drop !== undefined) parts.push(`drop=${f.drop}`);
  if (f.delayMs !== undefined) parts.push(`delay=${f.delayMs}ms`);
  if (f.lie) parts.push('lie');
  if (f.corrupt !== undefined) parts.push(`corrupt=${f.corrupt}`);
  if (f.silent) parts.push('silent');
  if (f.forkAt !== undefined) parts.push(`fork=${f.forkAt}`);
  if (f.rate !== undefined) parts.push(`rate=${f.rate}`);
  return parts.length > 0 ? parts.join(',') : 'none';
}

/** What to do with one reply, decided by the peer's faults and a random source (injectable for tests). */
export type ReplyPlan = { send: false } | { send: true; delayMs: number };

export function planReply(f: FaultSet, rand: () => number): ReplyPlan {
  if (f.drop !== undefined && rand() < f.drop) return { send: false };
  return { send: true, delayMs: f.delayMs ?? 0 };
}

/**
 * A peer limited to `rate` replies a second serves one request after the other: this reply goes
 * out once those before it have (`busyUntil`), plus its own service time. Returns how long it
 * waits and the new end of the queue.
 */
export function queueReply(
  rate: number,
  now: number,
  busyUntil: number,
): { waitMs: number; busyUntil: number } {
  const done = Math.max(now, busyUntil) + 1000 / rate;
  return { waitMs: done - now, busyUntil: done };
}

/** Should this block reply be corrupted? */
export function shouldCorrupt(f: FaultSet, rand: () => number): boolean {
  return f.corrupt !== undefined && rand() < f.corrupt;
}

/** A block that looks right but fails validation: a changed nonce (hash no longer matches) or a changed hash. */
export function corruptBlock<B extends { hash: string; nonce: string }>(block: B, rand: () => number): B {
  if (rand() < 0.5) return { ...block, nonce: block.nonce === 'x' ? 'y' : 'x' };
  const first = block.hash[0] === 'f' ? 'e' : 'f';
  return { ...block, hash: first + block.hash.slice(1) };
}
