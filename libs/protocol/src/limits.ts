/**
 * Every bound the node enforces, in one place, each with the reason for its number.
 * Services import these instead of inventing their own.
 */

// ---- Protocol rules (SPEC §4) ----
/** A block carries at most this many messages ([H] "maximum of 10 messages"). */
export const MAX_MESSAGES = 10;
/** Each message is at most this many Unicode code points ([H] "maximum length of 20 characters"). */
export const MAX_MESSAGE_CHARS = 20;
/** The nonce is at most this many code points (peers check `> 40`; SPEC §7 #8). */
export const MAX_NONCE_CHARS = 40;
/** Difficulty of the 2024 main and test networks (SPEC §7 #6). */
export const DEFAULT_DIFFICULTY = 8;

// ---- Wire ----
/**
 * Largest datagram we parse. A full block is ~500 B, ~2 KiB with every character JSON-escaped;
 * 16 KiB leaves room for long names while bounding what one packet can make us parse.
 */
export const MAX_DATAGRAM_BYTES = 16 * 1024;
/** Largest datagram we send: the course verifier and several peers read 1024 bytes (SPEC §1). */
export const MAX_SEND_BYTES = 1024;

// ---- String bounds at parse ----
// Every string field of every message is bounded by the schema, in UTF-16 code units (a JS
// string's length, what the schema counts; `_CHARS` below means these units). One unit is at most
// 3 UTF-8 bytes (a surrogate pair is 2 units and 4 bytes) and at most 6 bytes JSON-escaped
// (`\uXXXX`), so a field of N units costs ≤ 3N bytes stored and ≤ 6N bytes in a bus payload.
// Block fields are bounded loosely: every valid block parses, and a block that breaks a rule by a
// little still parses, so the validator names the rule instead of the block reading as missing.
/** GOSSIP host: the longest DNS name (≤ 759 B UTF-8, ≤ 1 518 B escaped). */
export const MAX_HOST_CHARS = 253;
/** GOSSIP name: room for any real name; a table entry stores a shorter display name (≤ 768 B, ≤ 1 536 B escaped). */
export const MAX_NAME_CHARS = 256;
/** GOSSIP id: a UUID is 36; 128 fits any id scheme (≤ 384 B, ≤ 768 B escaped). */
export const MAX_GOSSIP_ID_CHARS = 128;
/** minedBy has no stated limit; this bounds what we store per block while accepting any real name (≤ 768 B, ≤ 1 536 B escaped). */
export const MAX_MINED_BY_CHARS = 256;
/**
 * One item of `messages`: the rule is 20 code points (≤ 40 units); 80 lets a message twice too
 * long parse, so the validator reports `message_too_long` (≤ 240 B, ≤ 480 B escaped).
 */
export const MAX_MESSAGE_ITEM_CHARS = 80;
/** Schema cap on the messages array before the rule check (the rule says 10; this just bounds work). */
export const MAX_MESSAGES_PARSED = 64;
/**
 * The nonce: the rule is 40 code points (≤ 80 units); 160 lets a too-long nonce parse, so the
 * validator reports `nonce_too_long` (≤ 480 B, ≤ 960 B escaped).
 */
export const MAX_NONCE_PARSED_CHARS = 4 * MAX_NONCE_CHARS;
/** NEW_WORD word: a message is 20 code points (≤ 40 units); 64 leaves slack (≤ 192 B, ≤ 384 B escaped). */
export const MAX_WORD_CHARS = 64;
/** Block timestamps must be exact integers in JS; every real timestamp is far below this. */
export const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;
/** Heights are array indices in every peer; anything past 2^31 is a lie, not a chain. */
export const MAX_HEIGHT = 2 ** 31 - 1;

// ---- Gossip ----
/** GOSSIP fan-out ([H] "make this a constant"; three peers in the reference code). */
export const GOSSIP_FANOUT = 3;
/** Re-gossip period ([H] 30 s). */
export const GOSSIP_INTERVAL_MS = 30_000;
/** A peer silent this long is dropped ([H] "not heard from in a minute"). */
export const PEER_EXPIRY_MS = 60_000;
/** Peer table cap: the real network has tens of peers; 1000 bounds memory under a GOSSIP flood. */
export const MAX_PEERS = 1000;
/** Seen gossip ids: SPEC §3 suggests ~10 000 kept ≥ 10 min. */
export const MAX_SEEN_GOSSIP_IDS = 10_000;
export const SEEN_GOSSIP_ID_TTL_MS = 10 * 60_000;

// ---- Bus ----
/** NATS' default max_payload is 1 MiB; we stay well below it so a batch never bounces. */
export const MAX_BUS_PAYLOAD_BYTES = 900 * 1024;
/**
 * Blocks in one bus request (validate, store.append, store.stage): a sanity bound on the count;
 * what really bounds a request is its encoded size (senders cut at ~512 KiB, the bus refuses past
 * MAX_BUS_PAYLOAD_BYTES). ~350 B a block: 2 048 of them are ~700 KiB.
 */
export const MAX_BLOCKS_PER_BATCH = 2048;
/** Heights one `net.get` may carry (gossip refuses more): a sync asks a few thousand at once. */
export const MAX_NET_GET_HEIGHTS = 16_384;
/** store.range may return at most this many blocks per request. */
export const MAX_RANGE_BLOCKS = 500;
/**
 * store.staged may return at most this many hashes per request: 67 bytes each as JSON, so ~670 KB,
 * under the bus payload cap, and a 1 000 000-block sync is scanned in 100 requests.
 */
export const MAX_STAGED_HASHES = 10_000;

// ---- Consensus ----
/** Consensus period (SPEC §5: 120 s). */
export const CONSENSUS_INTERVAL_MS = 120_000;
/** STATS_REPLY collection window. */
export const STATS_WINDOW_MS = 2_000;
