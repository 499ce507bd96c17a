import { MAX_BUS_PAYLOAD_BYTES } from '@chainsync/protocol';

/** UTF-8 bytes of a value's JSON: what it occupies in a bus payload. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * Splits `items` into runs that each fit one bus payload: a run's JSON array, placed in an
 * envelope of `envelopeBytes` (the rest of the payload with an empty array, e.g.
 * `jsonBytes({ items: [] })`), is at most `maxBytes` of UTF-8. Sized by encoded bytes, never by
 * string length: a 3-byte character is one unit of length, an escaped control character six
 * bytes. An item too big to fit even alone is left out and counted in `oversize`.
 */
export function splitByBytes<T>(
  items: readonly T[],
  envelopeBytes: number,
  maxBytes: number = MAX_BUS_PAYLOAD_BYTES,
  itemBytes: (item: T) => number = jsonBytes,
): { chunks: T[][]; oversize: number } {
  const room = maxBytes - envelopeBytes;
  const chunks: T[][] = [];
  let run: T[] = [];
  let used = 0;
  let oversize = 0;
  for (const item of items) {
    const bytes = itemBytes(item);
    if (bytes > room) {
      oversize++;
      continue;
    }
    // Every item after the first in a run costs a separating comma.
    const cost = run.length === 0 ? bytes : bytes + 1;
    if (used + cost > room) {
      chunks.push(run);
      run = [item];
      used = bytes;
    } else {
      run.push(item);
      used += cost;
    }
  }
  if (run.length > 0) chunks.push(run);
  return { chunks, oversize };
}
