import { createHash } from 'node:crypto';
import type { Block } from './messages.js';

type HashInput = Pick<Block, 'height' | 'minedBy' | 'messages' | 'timestamp' | 'nonce'>;

const timestampBytes = Buffer.alloc(8);

/**
 * SHA-256 over prevHash (ASCII hex, left out for genesis) ‖ minedBy ‖ messages ‖ timestamp
 * (8-byte big-endian) ‖ nonce, as lowercase hex (SPEC §4).
 */
export function blockHash(block: HashInput, prevHash: string | null): string {
  const h = createHash('sha256');
  if (block.height > 0 && prevHash !== null) h.update(prevHash, 'latin1');
  h.update(block.minedBy, 'utf8');
  for (const m of block.messages) h.update(m, 'utf8');
  // Timestamps are safe integers (limits.ts), so two 32-bit writes are exact and avoid a BigInt.
  timestampBytes.writeUInt32BE(Math.floor(block.timestamp / 2 ** 32), 0);
  timestampBytes.writeUInt32BE(block.timestamp >>> 0, 4);
  h.update(timestampBytes);
  h.update(block.nonce, 'utf8');
  return h.digest('hex');
}

/** The PoW rule: the hex hash ends in `difficulty` ASCII zeros (extra zeros also pass). */
export function meetsDifficulty(hash: string, difficulty: number): boolean {
  for (let i = hash.length - difficulty; i < hash.length; i++) {
    if (hash.charCodeAt(i) !== 48 /* '0' */) return false;
  }
  return difficulty <= hash.length;
}
