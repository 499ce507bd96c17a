/** Bounds of the chain-store, each with the reason for its number (shared ones live in libs/protocol). */
import { MAX_BUS_PAYLOAD_BYTES } from '@chainsync/protocol';

/**
 * GET_BLOCK replies per `net.out` message. A stored block is at most ~3.3 KB as JSON (256-char
 * minedBy, 10×20-char messages and a 40-char nonce, every char escaped), so 200 stay under the
 * bus payload cap while one message still carries a whole burst from a syncing peer.
 */
export const NET_OUT_MAX_ITEMS = 200;

/** GET_BLOCK requests taken from one `net.in` message; gossip batches far fewer, this bounds the work. */
export const MAX_GET_BLOCK_ITEMS = 10_000;

/** store.range stops adding blocks before the reply would reach the bus payload cap. */
export const MAX_RANGE_REPLY_BYTES = MAX_BUS_PAYLOAD_BYTES - 16 * 1024;

/**
 * Size of the LMDB memory map: address space, not memory (only the pages read or written are
 * resident, and never more than the file), nor disk (the file grows with the chain alone). Left
 * unset, lmdb-js starts at 128 KB and maps the file again at each doubling, keeping every old map
 * for readers still on it: pages touched through each stay resident in each, 1.6× the file once
 * the whole chain has been read (332 MB for a 212 MB file at 1 000 000 blocks). 64 GiB holds ~300
 * million blocks mapped once; past that lmdb-js grows it as before.
 */
export const LMDB_MAP_BYTES = 64 * 2 ** 30;
