import { check, type CheckResult } from '../report.js';
import { MAX_LISTED_FAILURES } from '../limits.js';
import { show, shortHash, type Decoded } from '../wire.js';
import { checkBlock, classifyBlockReply, describeShape, type BlockAnswer } from './block-reply.js';

const NO_REPLY = 'nothing';

function answerText(a: BlockAnswer): string {
  return a.kind === 'block' ? `block ${a.block.height} ${shortHash(a.block.hash)}` : describeShape(a.shape);
}

/** get_block.genesis: block 0 comes back as a block at height 0 (its rules: blocks.valid). */
export function judgeGenesis(reply: Decoded | null, sends: number): CheckResult {
  const sent = `GET_BLOCK 0 ×${sends}`;
  if (!reply)
    return check('get_block.genesis', 'fail', sent, NO_REPLY, `no GET_BLOCK_REPLY to ${sends} requests`);
  const a = classifyBlockReply(reply);
  if (a.kind === 'none')
    return check('get_block.genesis', 'fail', sent, show(reply), `not a block: ${describeShape(a.shape)}`);
  if (a.block.height !== 0)
    return check('get_block.genesis', 'fail', sent, answerText(a), 'asked for height 0, got another height');
  return check('get_block.genesis', 'pass', sent, `block 0 ${shortHash(a.block.hash)}`);
}

/** get_block.top: the top (from STATS, or found by search) comes back as a block of that height. */
export function judgeTop(top: number, answer: BlockAnswer | undefined, how: 'claim' | 'search'): CheckResult {
  const sent = `GET_BLOCK ${top}`;
  const note =
    how === 'search' ? 'the top was found by searching (STATS did not say where it is)' : undefined;
  if (!answer) return check('get_block.top', 'fail', sent, NO_REPLY, 'no answer for the top block');
  if (answer.kind === 'none')
    return check('get_block.top', 'fail', sent, describeShape(answer.shape), 'not a block');
  if (answer.block.height !== top)
    return check(
      'get_block.top',
      'fail',
      sent,
      answerText(answer),
      `asked for ${top}, got ${answer.block.height}`,
    );
  return check('get_block.top', 'pass', sent, answerText(answer), note);
}

/** get_block.above_top: the height past the top gets the spec's null reply, exactly. */
export function judgeAboveTop(height: number, reply: Decoded | null, sends: number): CheckResult {
  const sent = `GET_BLOCK ${height} ×${sends}`;
  if (!reply)
    return check(
      'get_block.above_top',
      'fail',
      sent,
      NO_REPLY,
      'no reply: [H] answers a height you lack with the null reply, and peers that fetch one past the top wait for it',
    );
  const a = classifyBlockReply(reply);
  const got = show(reply);
  if (a.kind === 'block')
    return check('get_block.above_top', 'fail', sent, got, 'served a block above the top it claims');
  switch (a.shape) {
    case 'exact':
      return check('get_block.above_top', 'pass', sent, got);
    case 'height_echoed':
    case 'fields_missing':
      return check(
        'get_block.above_top',
        'warn',
        sent,
        got,
        `${describeShape(a.shape)}: the spec's null reply has all six fields null (§7 #2); receivers read it as "no block"`,
      );
    default:
      return check(
        'get_block.above_top',
        'fail',
        sent,
        got,
        `${describeShape(a.shape)}: not the null reply (§7 #2: all six fields null)`,
      );
  }
}

export interface BadHeightProbe {
  /** How the height was written, e.g. `-1`, `"1"`, `none`. */
  label: string;
  /** True for integers (a block for them is a wrong answer); false for non-integers (a lenient parse). */
  integer: boolean;
  reply: Decoded | null;
}

/**
 * get_block.bad_heights: no bad height may bring a block. −1 answered with the top block is
 * Python's negative indexing (§9); a block for "1" or 1.5 is a lenient parse (a warning). The
 * peer must still answer afterwards.
 */
export function judgeBadHeights(probes: readonly BadHeightProbe[], aliveAfter: boolean): CheckResult {
  const sent = `GET_BLOCK ${probes.map((p) => p.label).join(', ')}`;
  const counts = new Map<string, number>();
  const wrong: string[] = [];
  const lenient: string[] = [];
  for (const p of probes) {
    const a = p.reply ? classifyBlockReply(p.reply) : undefined;
    const what = !a ? 'no reply' : a.kind === 'block' ? 'a block' : describeShape(a.shape);
    counts.set(what, (counts.get(what) ?? 0) + 1);
    if (a?.kind !== 'block') continue;
    (p.integer ? wrong : lenient).push(`${p.label} → block ${a.block.height}`);
  }
  const got = [...counts].map(([what, n]) => `${what} ×${n}`).join(', ');
  if (!aliveAfter)
    return check(
      'get_block.bad_heights',
      'fail',
      sent,
      got,
      'stopped answering STATS after these requests: one bad GET_BLOCK takes it off the network (§9)',
    );
  if (wrong.length > 0)
    return check(
      'get_block.bad_heights',
      'fail',
      sent,
      got,
      `${wrong.join('; ')}: a height that does not exist was answered with a block (−1: Python's negative indexing, §9)`,
    );
  if (lenient.length > 0)
    return check(
      'get_block.bad_heights',
      'warn',
      sent,
      got,
      `${lenient.join('; ')}: a height that is not an integer was read as one (§1: drop fields of the wrong type)`,
    );
  return check('get_block.bad_heights', 'pass', sent, got);
}

export interface BlocksInput {
  /** Heights asked, and what came back for each (undefined: no answer at all). */
  answers: ReadonlyMap<number, BlockAnswer | undefined>;
  difficulty: number;
  /** How the heights were chosen, for the report line. */
  what: string;
  /** The block just below the lowest height, from an earlier window of a `--full` walk. */
  below?: { height: number; hash: string };
  /** Problems found earlier in a `--full` walk whose blocks are no longer held. */
  earlier?: { problems: string[]; count: number; blocks: number; linked: number };
}

export interface BlocksOutcome {
  result: CheckResult;
  /** Heights whose hash was recomputed from a parent that came back too: hashes we can vouch for. */
  verified: Map<number, string>;
  problems: string[];
  problemCount: number;
  linked: number;
}

/**
 * blocks.valid: every asked height must come back as a block of that height that keeps the rules
 * of §4; where its parent came back too, its hash must be recomputed from it (the link), with work.
 */
export function judgeBlocks(input: BlocksInput): BlocksOutcome {
  const problems = [...(input.earlier?.problems ?? [])];
  let problemCount = input.earlier?.count ?? 0;
  let linked = input.earlier?.linked ?? 0;
  const verified = new Map<number, string>();
  const note = (text: string) => {
    problemCount++;
    if (problems.length < MAX_LISTED_FAILURES) problems.push(text);
  };
  const heights = [...input.answers.keys()].sort((a, b) => a - b);
  for (const h of heights) {
    const a = input.answers.get(h);
    if (!a) {
      note(`${h}: no answer`);
      continue;
    }
    if (a.kind === 'none') {
      note(`${h}: ${describeShape(a.shape)} for a height under the top`);
      continue;
    }
    const b = a.block;
    if (b.height !== h) {
      note(`${h}: the block says height ${b.height}`);
      continue;
    }
    const parent = h === 0 ? null : input.answers.get(h - 1);
    const parentHash =
      parent === null
        ? null
        : parent?.kind === 'block' && parent.block.height === h - 1
          ? parent.block.hash
          : input.below?.height === h - 1
            ? input.below.hash
            : undefined;
    const v = checkBlock(b, parentHash, input.difficulty);
    if (!v.ok) {
      note(
        `${h}: ${v.reason}${v.reason === 'wrong_hash' ? ' (does not hash onto the block served below it)' : ''}`,
      );
      continue;
    }
    if (v.linked) {
      linked++;
      verified.set(h, b.hash);
    }
  }
  const blocks = heights.length + (input.earlier?.blocks ?? 0);
  const sent = `GET_BLOCK ×${blocks} (${input.what})`;
  const got = `${blocks - problemCount} good blocks, ${linked} links recomputed`;
  const result =
    problemCount === 0
      ? check('blocks.valid', 'pass', sent, got)
      : check(
          'blocks.valid',
          'fail',
          sent,
          `${problemCount} bad of ${blocks}`,
          problems.join('; ') +
            (problemCount > problems.length ? `; … ${problemCount - problems.length} more` : ''),
        );
  return { result, verified, problems, problemCount, linked };
}

export interface ReferenceInput {
  reference: string;
  /** Heights compared (verified at the peer, served by the reference). */
  compared: number;
  /** The lowest height whose hashes differ, with both hashes; null when all agree. */
  fork: { height: number; peer: string; reference: string; exact: boolean } | null;
}

/** blocks.reference: the peer's verified blocks are the reference's blocks, height by height. */
export function judgeReference(r: ReferenceInput): CheckResult {
  const sent = `GET_BLOCK ×${r.compared} to both`;
  if (r.compared === 0)
    return check(
      'blocks.reference',
      'skip',
      sent,
      '–',
      `no height both serve that could be compared with ${r.reference}`,
    );
  if (!r.fork)
    return check('blocks.reference', 'pass', sent, `${r.compared} heights agree with ${r.reference}`);
  const { height, peer, reference, exact } = r.fork;
  return check(
    'blocks.reference',
    'fail',
    sent,
    `height ${height}: ${shortHash(peer)} here, ${shortHash(reference)} at ${r.reference}`,
    `on another chain ${exact ? 'from' : 'at or below'} height ${height}: a fork of the reference's chain`,
  );
}
