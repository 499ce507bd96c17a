import type { ModeContext } from './context.js';
import type { KnobSpecs, KnobValues } from './knobs.js';

/** One attack: its CLI name, the lead of issue 12 it reproduces, its knobs, and how it starts. */
export interface ModeDefinition<N extends string = string, K extends KnobSpecs = KnobSpecs> {
  name: N;
  /** The lead of issue 12 it reproduces, in a line. */
  lead: string;
  /** What it sends, in a line. */
  summary: string;
  /** Its own counters in `stats().counters` (from zero; the README lists them). */
  counters: readonly string[];
  knobs: K;
  /** Opens the mode's sockets and timers through `ctx` (which closes them all on stop). */
  start(ctx: ModeContext, knobs: KnobValues<K>): Promise<void>;
}

/** Keeps a mode's name and knobs as literal types, so the API can type each mode's knobs. */
export function defineMode<const N extends string, const K extends KnobSpecs>(
  def: ModeDefinition<N, K>,
): ModeDefinition<N, K> {
  return def;
}

/** Opens `count` plain sockets (no joining): senders of floods. */
export async function openSockets(
  ctx: ModeContext,
  count: number,
  onMessage?: Parameters<ModeContext['open']>[0],
) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(await ctx.open(onMessage));
  return out;
}

/** Round-robin over a fixed set of items. */
export function rotation<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}
