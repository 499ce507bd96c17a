import type { PeerAddr } from '@chainsync/protocol';
import { MAX_DATAGRAM_BYTES } from '../limits.js';
import { check, type CheckResult } from '../report.js';
import { show, type Decoded } from '../wire.js';

export interface Malformed {
  label: string;
  bytes: Buffer;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
/** JSON nested this deep: Python's json module raises RecursionError (not a JSONDecodeError) near 1000. */
const NESTING = 5_000;

/**
 * The malformed datagrams of `--robustness`, each a way real peers have died (§1, §9): bytes that
 * are not UTF-8, text that is not JSON, JSON that is not an object, unknown or missing types,
 * fields of the wrong type, nesting past a recursive parser's stack, and a datagram past 1024 bytes
 * (what several peers read). A GOSSIP among them names only `self`, the probe's own socket.
 */
export function malformedDatagrams(self: PeerAddr): Malformed[] {
  return [
    { label: 'empty datagram', bytes: Buffer.alloc(0) },
    { label: 'not UTF-8', bytes: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d]) },
    { label: 'not JSON', bytes: Buffer.from('hello') },
    { label: 'truncated JSON', bytes: Buffer.from('{"type":"STATS"') },
    { label: 'NUL bytes', bytes: Buffer.from('\u0000\u0000{"type":"STATS"}\u0000') },
    { label: 'JSON array', bytes: json([1, 2, 3]) },
    { label: 'JSON string', bytes: json('STATS') },
    { label: 'JSON null', bytes: Buffer.from('null') },
    { label: 'no type', bytes: json({ height: 1 }) },
    { label: 'unknown type', bytes: json({ type: 'NOPE' }) },
    { label: 'type not a string', bytes: json({ type: 7 }) },
    { label: 'GET_BLOCK height a word', bytes: json({ type: 'GET_BLOCK', height: 'zero' }) },
    { label: 'GET_BLOCK height an object', bytes: json({ type: 'GET_BLOCK', height: { h: 1 } }) },
    {
      label: 'GOSSIP port a word',
      bytes: json({ type: 'GOSSIP', host: self.host, port: 'x', id: 'probe-bad-port', name: 'probe' }),
    },
    { label: 'ANNOUNCE without fields', bytes: json({ type: 'ANNOUNCE', height: 1 }) },
    { label: `JSON nested ${NESTING} deep`, bytes: Buffer.from('['.repeat(NESTING) + ']'.repeat(NESTING)) },
    // Past what a 1024-byte read holds, so such a reader sees truncated JSON.
    {
      label: `${MAX_DATAGRAM_BYTES}-byte datagram`,
      bytes: json({ type: 'PADDING', pad: 'x'.repeat(MAX_DATAGRAM_BYTES - 32) }),
    },
  ];
}

/**
 * robustness.malformed: every malformed datagram is dropped without a reply (§1) and the peer
 * still answers STATS after each one. `deadAfter` names the first datagram after which it did not.
 */
export function judgeRobustness(i: {
  sent: number;
  deadAfter: string | null;
  replies: readonly Decoded[];
}): CheckResult {
  const sent = `${i.sent} malformed datagrams, STATS after each`;
  if (i.deadAfter !== null)
    return check(
      'robustness.malformed',
      'fail',
      sent,
      `no STATS_REPLY after: ${i.deadAfter}`,
      'one bad datagram took it off the network (§9: a receive thread killed by a bad datagram)',
    );
  if (i.replies.length > 0)
    return check(
      'robustness.malformed',
      'warn',
      sent,
      `${i.replies.length} replies, e.g. ${show(i.replies[0])}`,
      'answers malformed datagrams: §1 drops them without a reply (an answer can be aimed at a forged source)',
    );
  return check('robustness.malformed', 'pass', sent, 'dropped, still answering');
}
