import type { Block } from '@chainsync/protocol';

/**
 * A block as stored: the height is the key, so the value is the other five fields as a tuple
 * (no key names repeated a million times on disk). The same form is used in staging, so a reorg
 * copies staged records into the chain byte for byte.
 */
export type BlockRecord = [
  hash: string,
  minedBy: string,
  messages: string[],
  nonce: string,
  timestamp: number,
];

export function toRecord(b: Block): BlockRecord {
  return [b.hash, b.minedBy, b.messages, b.nonce, b.timestamp];
}

export function fromRecord(height: number, r: BlockRecord): Block {
  return { height, hash: r[0], minedBy: r[1], messages: r[2], nonce: r[3], timestamp: r[4] };
}
