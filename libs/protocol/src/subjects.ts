import type { Block, Message, MessageOf, MessageType } from './messages.js';
import type { InvalidReason } from './validate.js';

/**
 * Every NATS subject of DESIGN.md with its payload types, declared once. The bus helper in
 * service-kit prefixes each with the node prefix (default `chain`), so `store.tip` travels as
 * `chain.store.tip` and several nodes can share one NATS server.
 *
 * Heights: a block's `height` is its index (genesis = 0). A `Tip` is the top block's height and
 * hash, `{height: -1, hash: null}` for an empty chain. STATS_REPLY carries the *length*,
 * `tip.height + 1` (SPEC §2.1).
 */

export const DEFAULT_NODE_PREFIX = 'chain';

/** A UDP endpoint. */
export interface PeerAddr {
  host: string;
  port: number;
}

export interface Tip {
  height: number;
  hash: string | null;
}

/** A checked inbound datagram and who sent it (the UDP source address). */
export interface Inbound<M extends Message = Message> {
  from: PeerAddr;
  msg: M;
}

/** `net.in.<TYPE>`: checked messages of one type, batched (one NATS message, many datagrams). */
export interface NetIn<T extends MessageType = MessageType> {
  items: Inbound<MessageOf<T>>[];
}

/** `net.out`: datagrams for gossip to send. */
export interface NetOut {
  items: { to: PeerAddr; msg: Message }[];
}

/**
 * `net.get`: GET_BLOCKs for gossip to send, heights grouped by peer — the bulk of a sync's
 * requests, a few bytes a height on the bus instead of a whole message each.
 */
export interface NetGet {
  items: { to: PeerAddr; heights: number[] }[];
}

export interface PeerInfo {
  host: string;
  port: number;
  name: string;
  /** Epoch ms of the last GOSSIP / GOSSIP_REPLY from it. */
  lastSeen: number;
  firstSeen: number;
  /** Bootstrap / well-known peers are never expired (SPEC §7 #15). */
  bootstrap: boolean;
  /**
   * The address answered a request we sent it lately, so it receives what we send (UDP sources
   * can be forged; an unproven entry may be an address someone named to us). gossip's
   * `peers.list` always sets it; a devnet peer's own table leaves it out.
   */
  proven?: boolean;
}

/** An error reply on any request subject; `code` is stable and used as a metric label. */
export interface ErrorReply {
  ok: false;
  code: string;
  message: string;
}
export type Reply<T> = ({ ok: true } & T) | ErrorReply;

export type BlockVerdict = { ok: true } | { ok: false; reason: InvalidReason };

/** Request subjects: name → [request, reply]. */
export interface RequestSubjects {
  /**
   * Best peers first (bootstrap, proven, most recently seen), cut to a byte bound so the reply
   * always fits the bus; `truncated` says how many table entries were left out.
   */
  'peers.list': [
    Record<string, never>,
    Reply<{ peers: PeerInfo[]; self: PeerAddr & { name: string }; truncated: number }>,
  ];
  /** Blocks must be consecutive starting at `firstHeight`; the first links to `prevHash`. */
  validate: [
    { difficulty: number; prevHash: string | null; firstHeight: number; blocks: unknown[] },
    Reply<{ verdicts: BlockVerdict[] }>,
  ];
  /** The tip record: where the chain ends. Heights above it are never served (they may be staged). */
  'store.tip': [Record<string, never>, Reply<{ tip: Tip }>];
  /** Block `height` of the chain; null above the tip. */
  'store.get': [{ height: number }, Reply<{ block: Block | null }>];
  /** At most MAX_RANGE_BLOCKS from `from`, never above the tip; fewer when the chain is shorter. */
  'store.range': [{ from: number; count: number }, Reply<{ blocks: Block[] }>];
  /**
   * Atomic: all blocks or none. Refused (code `not_linked`) unless the first links to the tip.
   * A block staged at a height it appends is overwritten.
   */
  'store.append': [{ expectPrevHash: string | null; blocks: Block[] }, Reply<{ tip: Tip }>];
  /**
   * Writes blocks of a sync's target (any heights, any order, overwriting; one transaction):
   * a height ≤ tip into the staging area, a height above the tip into the chain database at its
   * height — invisible either way until store.reorg makes the run the chain.
   */
  'store.stage': [{ blocks: Block[] }, Reply<{ staged: number }>];
  /** Drops everything staged (staging area and every block above the tip); `cleared` counts them. */
  'store.stage.clear': [Record<string, never>, Reply<{ cleared: number }>];
  /**
   * One transaction that makes the staged run fromHeight..topHeight the chain, topHeight's
   * block having `tipHash`, or refuses and writes nothing. Refused unless fromHeight ≤ tip+1
   * (`bad_from_height`), topHeight > tip (`not_taller`), every height of the run is staged and
   * the top is `tipHash` (`not_staged`), the first block hashes onto block fromHeight−1
   * (`not_linked`) and the part replacing heights ≤ tip hashes block by block, up to the first
   * block above the old tip (`not_contiguous`). Costs O(reorg depth), not O(run length): blocks
   * above the old tip are already in place. fromHeight = tip+1 is an extend (`replaced` 0).
   * Then staging is emptied and blocks above topHeight are deleted.
   */
  'store.reorg': [
    { fromHeight: number; topHeight: number; tipHash: string },
    Reply<{ tip: Tip; replaced: number }>,
  ];
  /**
   * Hashes of the staged blocks at heights from..from+count−1, null where none is staged (to
   * resume a sync after a restart). At most MAX_STAGED_HASHES; fewer when the reply would pass
   * the bus payload cap, so `hashes[i]` is height from+i for the heights it covers.
   */
  'store.staged': [{ from: number; count: number }, Reply<{ hashes: (string | null)[] }>];
  'consensus.run': [Record<string, never>, Reply<{ started: boolean }>];
  'consensus.status': [Record<string, never>, Reply<{ status: ConsensusStatus }>];
  /** What consensus learned of each peer it asked or synced from: the network map (bounded). */
  'consensus.network': [Record<string, never>, Reply<{ network: NetworkView }>];
}

/** How a peer's STATS_REPLY `height` counts (SPEC §2.1), once known. */
export type HeightConvention = 'length' | 'top_index';

/**
 * A peer's claimed top against our chain: our tip (`same`), a block of our chain below it
 * (`behind`), a block of another chain at a height we hold (`fork`), a height above ours (`ahead`),
 * or not decided (our hash there was not looked up).
 */
export type ChainRelation = 'same' | 'behind' | 'fork' | 'ahead' | 'unknown';

export interface NetworkPeer {
  host: string;
  port: number;
  /** Its latest STATS_REPLY to one of our rounds (asked for: unasked ones are not recorded). */
  claim: { height: number; hash: string; at: number } | null;
  convention: HeightConvention | null;
  /** Null without a claim. */
  chain: ChainRelation | null;
  /** How it served our syncs: blocks in all, the rate and timeouts of the last sync it served. */
  served: { blocks: number; blocksPerSecond: number; timeouts: number; at: number } | null;
  score: number;
  faults: number;
  banned: boolean;
}

/** Bounded by consensus (MAX_NETWORK_PEERS records plus the worst scored), so it fits the bus. */
export interface NetworkView {
  tip: Tip;
  peers: NetworkPeer[];
}

export type SyncPhase = 'idle' | 'round' | 'syncing' | 'synced';

export interface SourceStatus {
  host: string;
  port: number;
  score: number;
  inFlight: number;
  received: number;
  banned: boolean;
}

export interface ConsensusStatus {
  phase: SyncPhase;
  tip: Tip;
  /** The chain we are syncing to (`height` is its top index). */
  target: Tip | null;
  /**
   * The current sync: blocks validated and staged out of those it needs (nothing is committed
   * before the whole range is verified; the tip moves at the end). Null when not syncing.
   */
  progress: { done: number; total: number } | null;
  sources: SourceStatus[];
  blocksPerSecond: number;
  etaSeconds: number | null;
  roundsCompleted: number;
  lastRoundAt: number | null;
}

/** Event subjects: name → payload. */
export interface EventSubjects {
  'net.out': NetOut;
  'net.get': NetGet;
  /** The new tip after a commit; `replacedFrom`: the first height a reorg replaced (caches drop from there). */
  'store.committed': Tip & { replacedFrom?: number };
}

export type RequestSubject = keyof RequestSubjects;
export type EventSubject = keyof EventSubjects;
export type RequestOf<S extends RequestSubject> = RequestSubjects[S][0];
export type ReplyOf<S extends RequestSubject> = RequestSubjects[S][1];

/** `net.in.<TYPE>` subject name for a message type. */
export function netInSubject(type: MessageType): `net.in.${MessageType}` {
  return `net.in.${type}`;
}

/** Queue groups: replicas of a service share the load of a request subject. */
export const QueueGroups = {
  validators: 'validators',
  store: 'chain-store',
  gossip: 'gossip',
  consensus: 'consensus',
} as const;

/**
 * The programs that connect to a node's bus. Each service is one role (its replicas share it);
 * `observer` is a read-only tool (the launcher's progress view, tests, an operator's client).
 */
export const BUS_ROLES = ['gossip', 'consensus', 'validator', 'chain-store', 'api', 'observer'] as const;
export type BusRole = (typeof BUS_ROLES)[number];

/** Readers of the node: the api and read-only tools. */
const READERS = ['api', 'observer'] as const satisfies readonly BusRole[];

/**
 * Who may use each subject: who answers a request subject and who may call it, who may publish
 * an event and who listens to it. The bus permissions of every role are derived from this one
 * table (bus-permissions.ts), so a service may do exactly what this says and nothing else; a new
 * subject does not compile until it has an entry here.
 */
export const SUBJECT_ACCESS: {
  readonly requests: { readonly [S in RequestSubject]: { serves: BusRole; callers: readonly BusRole[] } };
  readonly events: {
    readonly [S in EventSubject]: { publishers: readonly BusRole[]; listeners: readonly BusRole[] };
  };
  /** `net.in.<TYPE>`: only gossip publishes (any type); each type has its own listeners. */
  readonly netIn: { publisher: BusRole; listeners: { readonly [T in MessageType]: readonly BusRole[] } };
} = {
  requests: {
    'peers.list': { serves: 'gossip', callers: ['consensus', ...READERS] },
    validate: { serves: 'validator', callers: ['consensus'] },
    // gossip reads the tip and ranges for its block cache (serving GET_BLOCK without a round trip each).
    'store.tip': { serves: 'chain-store', callers: ['consensus', 'gossip', ...READERS] },
    // consensus looks up our own hash at a peer's height (the network map tells a fork from our chain).
    'store.get': { serves: 'chain-store', callers: ['consensus', ...READERS] },
    'store.range': { serves: 'chain-store', callers: ['consensus', 'gossip', ...READERS] },
    'store.append': { serves: 'chain-store', callers: ['consensus'] },
    'store.stage': { serves: 'chain-store', callers: ['consensus'] },
    'store.stage.clear': { serves: 'chain-store', callers: ['consensus'] },
    'store.staged': { serves: 'chain-store', callers: ['consensus'] },
    'store.reorg': { serves: 'chain-store', callers: ['consensus'] },
    'consensus.run': { serves: 'consensus', callers: ['gossip', ...READERS] },
    'consensus.status': { serves: 'consensus', callers: [...READERS] },
    'consensus.network': { serves: 'consensus', callers: [...READERS] },
  },
  events: {
    'net.out': { publishers: ['consensus', 'chain-store'], listeners: ['gossip'] },
    'net.get': { publishers: ['consensus'], listeners: ['gossip'] },
    'store.committed': { publishers: ['chain-store'], listeners: ['consensus', 'gossip'] },
  },
  netIn: {
    publisher: 'gossip',
    listeners: {
      GOSSIP: [],
      GOSSIP_REPLY: [],
      STATS: ['consensus'],
      STATS_REPLY: ['consensus'],
      GET_BLOCK: ['chain-store'],
      GET_BLOCK_REPLY: ['consensus'],
      ANNOUNCE: ['consensus'],
      CONSENSUS: [],
      NEW_WORD: [],
    },
  },
};
