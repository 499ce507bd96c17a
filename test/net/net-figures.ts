/**
 * The figures of a network run, from what the harness recorded: each node's trace (every tip its
 * agent saw, with the blocks each move added and replaced) and every block the miners mined (the
 * miner ANNOUNCEs a block as it logs it). Pure functions over plain data, so they are tested
 * alone (net-figures.test.ts).
 */

/** A tip the agent saw: `added`/`lost` are `[height, hash]` of blocks new to / gone from the node's chain. */
export interface TipEvent {
  t: number;
  h: number;
  x: string;
  added: [number, string][];
  lost: [number, string][];
  /** The change reached the bottom of the agent's window: blocks below it may have changed too. */
  deep?: boolean;
}

export interface NodeTrace {
  name: string;
  ip: string;
  tips: TipEvent[];
  /** Rounds completed in each life of the node (an agent per life). */
  rounds: { rounds: number }[];
  /** When the node was up: started, and killed or stopped. */
  lives: { from: number; to?: number }[];
}

/** A block a miner mined and ANNOUNCEd at `t`. */
export interface Mined {
  t: number;
  h: number;
  x: string;
  miner: string;
}

/** The chain every node ended on, as hash → height (from any height up). */
export type FinalChain = Map<string, number>;

export function finalChain(from: number, hashes: readonly string[]): FinalChain {
  return new Map(hashes.map((x, i) => [x, from + i]));
}

/**
 * When each block of the final chain first arrived at a node: the first tip whose move added it,
 * or the first tip on the final chain at or above its height (its whole chain below is then the
 * final one). hash → epoch ms.
 */
export function arrivals(trace: NodeTrace, final: FinalChain): Map<string, number> {
  const byHeight = [...final].sort((a, b) => a[1] - b[1]);
  const first = byHeight[0]?.[1] ?? 0;
  const got = new Map<string, number>();
  let covered = first - 1;
  for (const e of trace.tips) {
    for (const [, x] of e.added) if (final.has(x) && !got.has(x)) got.set(x, e.t);
    if (final.get(e.x) === e.h && e.h > covered) {
      for (let h = covered + 1; h <= e.h; h++) {
        const x = byHeight[h - first]![0];
        if (!got.has(x)) got.set(x, e.t);
      }
      covered = e.h;
    }
  }
  return got;
}

export interface Spread {
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentiles (ms). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { n: 0, p50: null, p99: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1)! };
}

export interface Propagation {
  /** Final-chain blocks mined in the window. */
  blocks: number;
  /** ANNOUNCE → the block on the last node that got it (every node up got it). */
  lastNode: Spread;
  /**
   * The same for blocks no other miner found a sibling of: a block that tied with one a node
   * already held joins that node's chain only once the next block on its branch makes it taller
   * (a mining interval later), which is the network's fork race, not propagation.
   */
  lastNodeUncontested: Spread;
  /** ANNOUNCE → arrival, each node. */
  perNode: Record<string, Spread>;
  /** Final-chain blocks some node never got while up (should be none). */
  missing: number;
  /** Arrivals (block × node) by how long they took: under 0.25, 0.5, 1 and 2 s, and the rest. */
  arrivals: Record<'lt250ms' | 'lt500ms' | 'lt1s' | 'lt2s' | 'ge2s', number>;
}

const BUCKETS = [
  ['lt250ms', 250],
  ['lt500ms', 500],
  ['lt1s', 1000],
  ['lt2s', 2000],
  ['ge2s', Infinity],
] as const;

/** The node's last tip at or before `t` in the life that holds `t` (undefined while down or unseen). */
function tipAt(tr: NodeTrace, t: number): TipEvent | undefined {
  const life = tr.lives.find((l) => l.from <= t && (l.to === undefined || t <= l.to));
  if (!life) return undefined;
  return tr.tips.findLast((e) => e.t >= life.from && e.t <= t);
}

/**
 * ANNOUNCE → arrival of every final-chain block mined in [from, to): at each node that was up
 * from the ANNOUNCE on until it arrived and already held the height below it (a node still
 * catching up after a start is measured by its catch-up, not here), and at the last of them.
 */
export function propagation(
  mined: readonly Mined[],
  final: FinalChain,
  traces: readonly NodeTrace[],
  from: number,
  to: number,
): Propagation {
  const got = traces.map((tr) => arrivals(tr, final));
  const upThrough = (tr: NodeTrace, a: number, b: number) =>
    tr.lives.some((l) => l.from <= a && (l.to === undefined || l.to >= b));
  const perNode: Record<string, number[]> = Object.fromEntries(traces.map((tr) => [tr.name, []]));
  const last: number[] = [];
  const lastUncontested: number[] = [];
  const minedAt = new Map<number, number>();
  for (const m of mined) minedAt.set(m.h, (minedAt.get(m.h) ?? 0) + 1);
  let blocks = 0;
  let missing = 0;
  for (const m of mined) {
    if (m.t < from || m.t >= to || !final.has(m.x)) continue;
    blocks++;
    let slowest = -Infinity;
    for (const [i, tr] of traces.entries()) {
      if ((tipAt(tr, m.t)?.h ?? -1) < m.h - 1) continue;
      const at = got[i]!.get(m.x);
      if (at === undefined) {
        if (upThrough(tr, m.t, to)) missing++;
        continue;
      }
      if (!upThrough(tr, m.t, at)) continue;
      const ms = Math.max(0, at - m.t);
      perNode[tr.name]!.push(ms);
      slowest = Math.max(slowest, ms);
    }
    if (slowest > -Infinity) {
      last.push(slowest);
      if (minedAt.get(m.h) === 1) lastUncontested.push(slowest);
    }
  }
  const all = Object.values(perNode).flat();
  const arrivalsBy = Object.fromEntries(
    BUCKETS.map(([name, below], i) => [
      name,
      all.filter((ms) => ms < below && (i === 0 || ms >= BUCKETS[i - 1]![1])).length,
    ]),
  ) as Propagation['arrivals'];
  return {
    blocks,
    lastNode: spread(last),
    lastNodeUncontested: spread(lastUncontested),
    perNode: Object.fromEntries(Object.entries(perNode).map(([k, v]) => [k, spread(v)])),
    missing,
    arrivals: arrivalsBy,
  };
}

/**
 * The longest time (ms) each node was two or more blocks behind the final chain as mined so far
 * (the tallest final block mined by then), counted only while it was up and outside `skip`
 * windows (a partition, where one side is behind by design).
 */
export function longestBehind(
  mined: readonly Mined[],
  final: FinalChain,
  trace: NodeTrace,
  from: number,
  to: number,
  skip: readonly { from: number; to?: number }[] = [],
): number {
  const best = mined.filter((m) => final.has(m.x)).sort((a, b) => a.t - b.t);
  const edges = [...skip, ...trace.lives].flatMap((w) => (w.to === undefined ? [w.from] : [w.from, w.to]));
  const times = [...new Set([from, to, ...edges, ...best.map((m) => m.t), ...trace.tips.map((e) => e.t)])]
    .filter((t) => t >= from && t <= to)
    .sort((a, b) => a - b);
  const skipped = (t: number) => skip.some((w) => t >= w.from && t < (w.to ?? Infinity));
  const up = (t: number) => trace.lives.some((l) => t >= l.from && t < (l.to ?? Infinity));
  let bi = 0;
  let top = -1;
  let ti = 0;
  let height = -1;
  let since: number | undefined;
  let longest = 0;
  for (const t of times) {
    while (bi < best.length && best[bi]!.t <= t) top = Math.max(top, best[bi++]!.h);
    while (ti < trace.tips.length && trace.tips[ti]!.t <= t) height = trace.tips[ti++]!.h;
    const behind = up(t) && !skipped(t) && top - height >= 2;
    if (behind && since === undefined) since = t;
    if (!behind && since !== undefined) {
      longest = Math.max(longest, t - since);
      since = undefined;
    }
  }
  if (since !== undefined) longest = Math.max(longest, to - since);
  return longest;
}

/** A switch a node made: blocks of its chain replaced by another branch. */
export interface Switch {
  node: string;
  t: number;
  /** Lowest height replaced. */
  from: number;
  replaced: number;
  /** Replaced blocks that belong to the final chain: a node lost a block of the winning branch. */
  lostFinal: number;
  /** The new tip is on the final chain. */
  toFinal: boolean;
}

export function switches(trace: NodeTrace, final: FinalChain): Switch[] {
  return trace.tips
    .filter((e) => e.lost.length > 0)
    .map((e) => ({
      node: trace.name,
      t: e.t,
      from: Math.min(...e.lost.map(([h]) => h)),
      replaced: e.lost.length,
      lostFinal: e.lost.filter(([h, x]) => final.get(x) === h).length,
      toFinal: final.get(e.x) === e.h,
    }));
}

/**
 * Tips that went down within one life of a node: a switch that is not one atomic step (the
 * store's reorg only ever makes the chain taller) would show as one. Returns them as "t: a → b".
 */
export function tipDrops(trace: NodeTrace): string[] {
  const drops: string[] = [];
  for (const life of trace.lives) {
    const tips = trace.tips.filter((e) => e.t >= life.from && (life.to === undefined || e.t <= life.to));
    for (let i = 1; i < tips.length; i++)
      if (tips[i]!.h < tips[i - 1]!.h) drops.push(`${tips[i]!.t}: ${tips[i - 1]!.h} → ${tips[i]!.h}`);
  }
  return drops;
}

/** Rounds each node completed, over all its lives. */
export function roundsRun(trace: NodeTrace): number {
  return trace.rounds.reduce((n, r) => n + r.rounds, 0);
}

/** ms as seconds with 2 decimals, for printing. */
export const sec = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
