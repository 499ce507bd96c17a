import type { Block } from '@chainsync/protocol';

/**
 * The same block under another height. The hash covers prevHash, minedBy, messages, timestamp and
 * nonce but not the height (SPEC §4), so a relabelled block above genesis still hashes right and
 * still links to its real predecessor.
 */
export function relabel(block: Block, height: number): Block {
  return { ...block, height };
}

/**
 * Which honest height a liar serves at `height` when it shifts the honest chain (length
 * `honestLength`) up so that its top sits at the claimed length's top: undefined outside it.
 */
export function shiftedSource(height: number, claimLength: number, honestLength: number): number | undefined {
  const source = height - (claimLength - honestLength);
  return source >= 0 && source < honestLength ? source : undefined;
}
