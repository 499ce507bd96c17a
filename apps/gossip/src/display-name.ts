import { PEER_NAME_MAX_CODE_POINTS } from './limits.js';

/**
 * Control and format characters (C0/C1 controls, bidi overrides, zero-width marks), line and
 * paragraph separators, and lone surrogates: nothing a reader should get from a peer's name.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/**
 * The name a table entry shows (logs, `peers.list`, the dashboard): the GOSSIP name with
 * unprintable characters removed, cut to PEER_NAME_MAX_CODE_POINTS code points. The GOSSIP itself
 * is forwarded with the name as it came (SPEC §3).
 */
export function displayName(name: string): string {
  const clean = name.replace(UNPRINTABLE, '');
  let cut = 0;
  let points = 0;
  for (const ch of clean) {
    if (points++ === PEER_NAME_MAX_CODE_POINTS) return clean.slice(0, cut);
    cut += ch.length;
  }
  return clean;
}
