import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';
import type { Decoded } from '../wire.js';

/** A valid chain of `n` blocks at `difficulty`, mined here (tests use difficulty ≤ 2). */
export function testChain(n: number, difficulty = 1): Block[] {
  const out: Block[] = [];
  for (let h = 0; h < n; h++) {
    const content = { height: h, minedBy: 'tester', messages: [`m${h}`], timestamp: 1_700_000_000 + h };
    const prev = h === 0 ? null : out[h - 1]!.hash;
    for (let i = 0; ; i++) {
      const hash = blockHash({ ...content, nonce: String(i) }, prev);
      if (meetsDifficulty(hash, difficulty)) {
        out.push({ ...content, nonce: String(i), hash });
        break;
      }
    }
  }
  return out;
}

/** A value as the probe decodes a datagram carrying its JSON. */
export const json = (value: unknown): Decoded => ({ kind: 'json', value, text: JSON.stringify(value) });

/** A block as a GET_BLOCK_REPLY datagram. */
export const replyOf = (b: Block): Decoded => json({ type: 'GET_BLOCK_REPLY', ...b });
