import type { Block, PeerAddr } from '@chainsync/protocol';
import { classifyBlockReply, type BlockAnswer } from './checks/block-reply.js';
import type { Claim } from './checks/stats.js';
import { MAX_ATTEMPTS } from './limits.js';
import type { CheckResult } from './report.js';
import { type Answer, type AskOptions, type ProbeSocket, type Transport } from './transport.js';
import { asObject, objectOfType, typeOf, type Received } from './wire.js';

export interface ProbeOptions {
  target: PeerAddr;
  reference: PeerAddr | null;
  difficulty: number;
  full: boolean;
  robustness: boolean;
  gossip: boolean;
  ratePerS: number;
  /** Lines worth showing as the probe goes (what it is about to send). */
  say: (line: string) => void;
  /** `--full` progress: blocks checked of all. */
  progress?: (done: number, total: number) => void;
}

/** Types that are requests or announcements, never the answer to a GET_BLOCK or a STATS. */
const NOT_ANSWERS = new Set(['STATS', 'GET_BLOCK', 'GOSSIP', 'ANNOUNCE', 'CONSENSUS', 'NEW_WORD']);

/** A STATS_REPLY (by its type). */
export const isStatsReply = (r: Received): boolean => typeOf(r.decoded) === 'STATS_REPLY';

/**
 * Whatever answers a GET_BLOCK for `h`: a GET_BLOCK_REPLY of that height, or any reply that names
 * no other height (a null reply, "None" strings, an array, text that is not JSON). Requests the
 * peer sends us, STATS_REPLYs and replies for other heights (a late answer) are not it.
 */
export function answersHeight(h: number): (r: Received) => boolean {
  return (r) => {
    const t = typeOf(r.decoded);
    if (t !== undefined && (NOT_ANSWERS.has(t) || t === 'STATS_REPLY' || t.startsWith('GOSSIP')))
      return false;
    const height = r.decoded.kind === 'json' ? asObject(r.decoded.value)?.height : undefined;
    return !Number.isInteger(height) || height === h;
  };
}

/** The state a probe run shares between its phases. */
export class Session {
  readonly results: CheckResult[] = [];
  claim: Claim | null = null;
  /** The top block as served and verified (from the claim, or found by search). */
  top: { height: number; block: Block; how: 'claim' | 'search' } | null = null;
  /** Blocks answered at all (GET_BLOCK 0 got a reply): otherwise the block checks are skipped. */
  servesBlocks = false;
  /** Replies were lost (replies.loss): gaps in answers then prove nothing. */
  lossy = false;
  /** Heights whose hash the block check recomputed from the parent: hashes we can vouch for. */
  verified = new Map<number, string>();

  constructor(
    readonly t: Transport,
    readonly main: ProbeSocket,
    readonly o: ProbeOptions,
  ) {}

  add(...r: CheckResult[]): void {
    this.results.push(...r);
  }

  /** STATS from the main socket; the claim is updated (and echoed to the peer from now on). */
  async stats(opts: AskOptions = {}): Promise<{ answer: Answer | null; claim: Claim | null }> {
    const answer = await this.t.ask(this.main, { type: 'STATS' }, isStatsReply, opts);
    const obj = answer ? objectOfType(answer.reply.decoded, 'STATS_REPLY') : undefined;
    const claim =
      obj && Number.isInteger(obj.height) && typeof obj.hash === 'string'
        ? { height: obj.height as number, hash: obj.hash }
        : null;
    return { answer, claim };
  }

  /** GET_BLOCK `h` from `sock` (the main socket by default): the raw answer, or null. */
  getBlock(h: number, sock = this.main, opts: AskOptions = {}): Promise<Answer | null> {
    return this.t.ask(sock, { type: 'GET_BLOCK', height: h }, answersHeight(h), opts);
  }

  /** GET_BLOCK `h`, read as a receiver reads it; undefined when unanswered. */
  async blockAt(h: number, opts: AskOptions = {}): Promise<BlockAnswer | undefined> {
    const a = await this.getBlock(h, this.main, opts);
    return a ? classifyBlockReply(a.reply.decoded) : undefined;
  }

  /**
   * Many heights at once, MAX_IN_FLIGHT in flight, each matched by its height (so only blocks
   * can match); heights still unanswered are asked again one at a time, where a null reply can
   * be told apart. `each` is called as heights complete.
   */
  async blocks(
    heights: readonly number[],
    inFlight: number,
    {
      sock = this.main,
      to = this.o.target,
      each,
    }: { sock?: ProbeSocket; to?: PeerAddr; each?: () => void } = {},
  ): Promise<Map<number, BlockAnswer | undefined>> {
    const out = new Map<number, BlockAnswer | undefined>();
    const byHeight = (h: number) => (r: Received) => objectOfType(r.decoded, 'GET_BLOCK_REPLY')?.height === h;
    let next = 0;
    const worker = async () => {
      while (next < heights.length) {
        const h = heights[next++]!;
        const a = await this.t.ask(sock, { type: 'GET_BLOCK', height: h }, byHeight(h), { attempts: 3, to });
        out.set(h, a ? classifyBlockReply(a.reply.decoded) : undefined);
        if (a) each?.();
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, heights.length) }, worker));
    for (const h of heights) {
      if (out.get(h) !== undefined) continue;
      const a = await this.getBlock(h, sock, { attempts: MAX_ATTEMPTS - 3, to });
      out.set(h, a ? classifyBlockReply(a.reply.decoded) : undefined);
      each?.();
    }
    return out;
  }
}
