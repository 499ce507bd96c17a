import type { Block } from '@chainsync/protocol';
import { checkBlock, classifyBlockReply, type BlockAnswer } from './checks/block-reply.js';
import {
  judgeAboveTop,
  judgeBadHeights,
  judgeBlocks,
  judgeGenesis,
  judgeReference,
  judgeTop,
  type BadHeightProbe,
  type BlocksOutcome,
} from './checks/blocks.js';
import { conventionResult, judgeConvention, type ConventionVerdict } from './checks/stats.js';
import {
  CONVENTION_ROUNDS,
  FULL_WINDOW_BLOCKS,
  MAX_ATTEMPTS,
  MAX_HEIGHT,
  MAX_IN_FLIGHT,
  MAX_SEARCH_REQUESTS,
  MAX_TOP_RETRIES,
  QUIET_WAIT_MS,
} from './limits.js';
import { skip } from './report.js';
import { sampleHeights } from './sample.js';
import { answersHeight, type Session } from './session.js';
import { now, type ProbeSocket } from './transport.js';
import { addrText, sameAddr } from './wire.js';

const BLOCK_CHECKS = ['get_block.top', 'get_block.above_top', 'blocks.valid', 'blocks.reference'] as const;

/**
 * The GET_BLOCK checks: block 0, where the claimed hash sits (or, when the claim is not backed,
 * where the served chain really ends), the top, the height above it, a sample of the chain (or
 * all of it with --full), a comparison with a reference peer, and bad heights.
 */
export async function blocksPhase(s: Session): Promise<void> {
  const genesis = await s.getBlock(0);
  s.add(judgeGenesis(genesis?.reply.decoded ?? null, genesis?.sends ?? MAX_ATTEMPTS));
  s.servesBlocks = genesis !== null;
  const first = genesis ? classifyBlockReply(genesis.reply.decoded) : undefined;
  if (!s.servesBlocks || first?.kind !== 'block' || first.block.height !== 0) {
    const why = s.servesBlocks ? 'block 0 is not served' : 'GET_BLOCK is not answered';
    if (s.claim) s.add(skip('stats.convention', why));
    s.add(...BLOCK_CHECKS.map((id) => skip(id, why)));
  } else {
    await topChecks(s, first.block);
    await chainChecks(s);
    await referenceCheck(s);
  }
  await badHeights(s);
}

/** stats.convention, get_block.top and get_block.above_top; sets `s.top`. */
async function topChecks(s: Session, genesis: Block): Promise<void> {
  let verdict: ConventionVerdict | null = null;
  if (s.claim) {
    verdict = await convention(s, s.claim);
    if (verdict.kind === 'length' || verdict.kind === 'top_index')
      s.top = { height: verdict.top, block: verdict.block, how: 'claim' };
  }
  if (!s.top) s.top = { ...(await searchTop(s, genesis)), how: 'search' };
  if (s.claim && verdict)
    s.add(conventionResult(s.claim, verdict, verdict.kind === 'lie' ? s.top.height : null));
  s.add(judgeTop(s.top.height, { kind: 'block', block: s.top.block }, s.top.how));

  // Above the top, from a socket of its own: any datagram that comes back is the answer.
  const sock = await s.t.open('above-top');
  for (let retry = 0; ; retry++) {
    const h: number = s.top.height + 1;
    const a = await s.t.ask(sock, { type: 'GET_BLOCK', height: h }, answersHeight(h));
    const got = a ? classifyBlockReply(a.reply.decoded) : undefined;
    // A valid block on the top: the chain grew meanwhile (a mining network). Move up and ask again.
    if (got?.kind === 'block' && got.block.height === h && retry < MAX_TOP_RETRIES) {
      if (checkBlock(got.block, s.top.block.hash, s.o.difficulty).ok) {
        s.top = { height: h, block: got.block, how: s.top.how };
        continue;
      }
    }
    s.add(judgeAboveTop(h, a?.reply.decoded ?? null, a?.sends ?? MAX_ATTEMPTS));
    return;
  }
}

/** Asks the heights around the claimed top, round after round, until the claim is settled. */
async function convention(s: Session, claim: { height: number; hash: string }): Promise<ConventionVerdict> {
  const answers = new Map<number, BlockAnswer[]>();
  const heights = [claim.height - 2, claim.height - 1, claim.height].filter((h) => h >= 0 && h <= MAX_HEIGHT);
  let verdict: ConventionVerdict = { kind: 'inconclusive', why: 'not asked' };
  for (let round = 0; round < CONVENTION_ROUNDS; round++) {
    for (const h of heights) {
      const a = await s.blockAt(h);
      if (a) answers.set(h, [...(answers.get(h) ?? []), a]);
    }
    verdict = judgeConvention(claim, answers, s.o.difficulty);
    if (verdict.kind !== 'inconclusive') break;
  }
  return verdict;
}

/** Where the served chain ends: doubling up from genesis, then halving (≤ MAX_SEARCH_REQUESTS). */
async function searchTop(s: Session, genesis: Block): Promise<{ height: number; block: Block }> {
  let lo = { height: 0, block: genesis };
  let hi: number | null = null;
  let requests = 0;
  const served = async (h: number): Promise<Block | null> => {
    requests++;
    const a = await s.blockAt(h);
    return a?.kind === 'block' && a.block.height === h ? a.block : null;
  };
  for (
    let step = 1;
    hi === null && requests < MAX_SEARCH_REQUESTS && lo.height + step <= MAX_HEIGHT;
    step *= 2
  ) {
    const h = lo.height + step;
    const b = await served(h);
    if (b) lo = { height: h, block: b };
    else hi = h;
  }
  while (hi !== null && hi - lo.height > 1 && requests < MAX_SEARCH_REQUESTS) {
    const mid = Math.floor((lo.height + hi) / 2);
    const b = await served(mid);
    if (b) lo = { height: mid, block: b };
    else hi = mid;
  }
  return lo;
}

/** blocks.valid: a sample of the chain, or with --full every block in windows (bounded memory). */
async function chainChecks(s: Session): Promise<void> {
  const top = s.top!;
  if (!s.o.full) {
    const heights = sampleHeights(top.height, top.block.hash);
    const answers = await s.blocks(heights, MAX_IN_FLIGHT);
    const what = `a sample of ${heights.length}: both ends and runs between`;
    const out = judgeBlocks({ answers, difficulty: s.o.difficulty, what });
    s.verified = out.verified;
    s.add(out.result);
    return;
  }
  const total = top.height + 1;
  let done = 0;
  let below: { height: number; hash: string } | undefined;
  let earlier: BlocksOutcome | undefined;
  s.o.progress?.(0, total);
  for (let from = 0; from < total; from += FULL_WINDOW_BLOCKS) {
    const heights = Array.from({ length: Math.min(FULL_WINDOW_BLOCKS, total - from) }, (_, i) => from + i);
    const answers = await s.blocks(heights, MAX_IN_FLIGHT, { each: () => s.o.progress?.(++done, total) });
    earlier = judgeBlocks({
      answers,
      difficulty: s.o.difficulty,
      what: `the whole chain, 0–${top.height}`,
      below,
      earlier: earlier && {
        problems: earlier.problems,
        count: earlier.problemCount,
        blocks: from,
        linked: earlier.linked,
      },
    });
    // Verified hashes of the last window only (bounded), for the reference check.
    s.verified = earlier.verified;
    const last = answers.get(heights[heights.length - 1]!);
    below = last?.kind === 'block' ? { height: last.block.height, hash: last.block.hash } : undefined;
  }
  s.add(earlier!.result);
}

/** blocks.reference: the verified heights asked of the reference too; a difference is a fork. */
async function referenceCheck(s: Session): Promise<void> {
  const ref = s.o.reference;
  if (!ref)
    return s.add(skip('blocks.reference', 'give --reference HOST:PORT (a peer you trust) to compare chains'));
  const heights = [...s.verified.keys()].sort((a, b) => a - b);
  if (heights.length === 0) return s.add(skip('blocks.reference', 'no block of the peer could be verified'));
  const sock = await s.t.open('reference');
  const theirs = await s.blocks(heights, MAX_IN_FLIGHT, { sock, to: ref });
  const refHash = (h: number) => {
    const a = theirs.get(h);
    return a?.kind === 'block' && a.block.height === h ? a.block.hash : null;
  };
  const compared = heights.filter((h) => refHash(h) !== null);
  const diff = compared.find((h) => refHash(h) !== s.verified.get(h));
  if (diff === undefined)
    return s.add(judgeReference({ reference: addrText(ref), compared: compared.length, fork: null }));
  // The fork point: between the highest agreeing height below the first difference and it.
  let lo = compared.filter((h) => h < diff).pop() ?? -1;
  let hi = diff;
  const hashes = { peer: s.verified.get(diff)!, reference: refHash(diff)! };
  for (let n = 0; hi - lo > 1 && n < MAX_SEARCH_REQUESTS; n += 2) {
    const mid = Math.floor((lo + hi) / 2);
    const [mine, other] = [await s.blockAt(mid), await s.getBlock(mid, sock, { to: ref })];
    const otherBlock = other ? classifyBlockReply(other.reply.decoded) : undefined;
    if (mine?.kind !== 'block' || otherBlock?.kind !== 'block') break;
    if (mine.block.hash === otherBlock.block.hash) lo = mid;
    else [hi, hashes.peer, hashes.reference] = [mid, mine.block.hash, otherBlock.block.hash];
  }
  s.add(
    judgeReference({
      reference: addrText(ref),
      compared: compared.length,
      fork: { height: hi, ...hashes, exact: hi - lo === 1 },
    }),
  );
}

const BAD_HEIGHTS: { label: string; integer: boolean; json: string }[] = [
  { label: '-1', integer: true, json: '{"type":"GET_BLOCK","height":-1}' },
  { label: '1.5', integer: false, json: '{"type":"GET_BLOCK","height":1.5}' },
  { label: '"1"', integer: false, json: '{"type":"GET_BLOCK","height":"1"}' },
  { label: 'null', integer: false, json: '{"type":"GET_BLOCK","height":null}' },
  { label: 'none', integer: false, json: '{"type":"GET_BLOCK"}' },
  { label: '2^53', integer: true, json: '{"type":"GET_BLOCK","height":9007199254740992}' },
  { label: '2^31−1', integer: true, json: `{"type":"GET_BLOCK","height":${MAX_HEIGHT}}` },
];

/** get_block.bad_heights: each from a socket of its own (any answer is its answer), then a STATS. */
async function badHeights(s: Session): Promise<void> {
  const socks: ProbeSocket[] = [];
  for (const b of BAD_HEIGHTS) socks.push(await s.t.open(`bad-height ${b.label}`));
  const start = now();
  for (const [i, b] of BAD_HEIGHTS.entries()) await s.t.send(socks[i]!, Buffer.from(b.json));
  const wait = Math.max(QUIET_WAIT_MS, s.t.rto());
  await new Promise((r) => setTimeout(r, wait));
  const probes: BadHeightProbe[] = BAD_HEIGHTS.map((b, i) => ({
    label: b.label,
    integer: b.integer,
    reply: socks[i]!.since(start, (r) => sameAddr(r.from, s.t.opts.target))[0]?.decoded ?? null,
  }));
  const { answer } = await s.stats();
  s.add(judgeBadHeights(probes, answer !== null));
}
