import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';
import type { BlockContent } from './content.js';
import { SEARCH_CHUNK } from './limits.js';
import { NonceSearcher } from './nonce-search.js';

/** The bytes hashed before the nonce (SPEC §4): prevHash (not for genesis), minedBy, messages, timestamp. */
export function hashPrefix(content: BlockContent, prevHash: string | null): Buffer {
  const withPrev = content.height > 0 && prevHash !== null;
  let size = (withPrev ? prevHash.length : 0) + Buffer.byteLength(content.minedBy, 'utf8') + 8;
  for (const m of content.messages) size += Buffer.byteLength(m, 'utf8');
  // One buffer written in place: Buffer.from + concat per field cost more than the hashing at low difficulty.
  const buf = Buffer.allocUnsafe(size);
  let off = withPrev ? buf.write(prevHash, 0, 'latin1') : 0;
  off += buf.write(content.minedBy, off, 'utf8');
  for (const m of content.messages) off += buf.write(m, off, 'utf8');
  buf.writeUInt32BE(Math.floor(content.timestamp / 2 ** 32), off);
  buf.writeUInt32BE(content.timestamp >>> 0, off + 4);
  return buf;
}

/** The finished block for a counter the search found; re-hashed with the protocol's own rule as a check. */
export function sealBlock(
  content: BlockContent,
  prevHash: string | null,
  counter: number,
  difficulty: number,
): Block {
  const nonce = String(counter);
  const hash = blockHash({ ...content, nonce }, prevHash);
  if (!meetsDifficulty(hash, difficulty)) {
    throw Object.assign(new Error(`nonce ${nonce} does not meet difficulty ${difficulty}`), {
      code: 'miner_bug',
    });
  }
  return {
    height: content.height,
    hash,
    minedBy: content.minedBy,
    messages: content.messages,
    nonce,
    timestamp: content.timestamp,
  };
}

/**
 * Mines one block in the calling thread: the smallest counter that meets the difficulty. The
 * hash comes from the search itself (tests hold it to node:crypto and the protocol's rule).
 */
export function mineInline(content: BlockContent, prevHash: string | null, difficulty: number): Block {
  const searcher = new NonceSearcher(hashPrefix(content, prevHash));
  let counter = -1;
  for (let from = 0; counter < 0; from += SEARCH_CHUNK)
    counter = searcher.search(difficulty, from, from + SEARCH_CHUNK);
  const { height, minedBy, messages, timestamp } = content;
  return { height, hash: searcher.digestHex(), minedBy, messages, nonce: String(counter), timestamp };
}
