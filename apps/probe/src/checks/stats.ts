import { Hex64, meetsDifficulty, type Block } from '@chainsync/protocol';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { check, type CheckResult } from '../report.js';
import { objectOfType, show, shortHash, type Decoded } from '../wire.js';
import { checkBlock, type BlockAnswer } from './block-reply.js';

/** A peer's STATS_REPLY: `height` as sent (a length for most peers, a top index for some). */
export interface Claim {
  height: number;
  hash: string;
}

const isHex64 = TypeCompiler.Compile(Hex64);
const STATS_FIELDS = new Set(['type', 'height', 'hash']);

/** stats.reply: a STATS_REPLY with an integer height and a hex64 hash that carries the work. */
export function judgeStats(
  reply: Decoded | null,
  sends: number,
  difficulty: number,
): { result: CheckResult; claim: Claim | null } {
  const sent = `STATS ×${sends}`;
  const fail = (got: string, detail: string) => ({
    result: check('stats.reply', 'fail', sent, got, detail),
    claim: null,
  });
  if (!reply)
    return fail(
      'nothing',
      `no STATS_REPLY to ${sends} STATS; a peer that has not synced may stay silent (§7 #11), but then nobody can sync from it`,
    );
  const obj = objectOfType(reply, 'STATS_REPLY');
  if (!obj) return fail(show(reply), 'not a STATS_REPLY');
  const { height, hash } = obj;
  if (height === null && hash === null)
    return fail(
      show(reply),
      'null height and hash: peers ignore it (§7 #11: do not answer before you hold genesis)',
    );
  if (!Number.isInteger(height) || (height as number) < 0)
    return fail(show(reply), '`height` is not a non-negative integer');
  if (typeof hash !== 'string' || !isHex64.Check(hash))
    return fail(show(reply), '`hash` is not 64 lowercase hex characters');
  if (!meetsDifficulty(hash, difficulty))
    return fail(
      show(reply),
      `the hash lacks ${difficulty} trailing zeros: peers drop such replies (§2.1); is --difficulty right?`,
    );
  const extra = Object.keys(obj).filter((k) => !STATS_FIELDS.has(k));
  const claim = { height: height as number, hash };
  const got = `STATS_REPLY height ${claim.height}, hash ${shortHash(hash)}`;
  const detail = extra.length > 0 ? `extra fields (ignored by peers): ${extra.join(', ')}` : undefined;
  return { result: check('stats.reply', 'pass', sent, got, detail), claim };
}

export type ConventionVerdict =
  | { kind: 'length' | 'top_index'; top: number; block: Block }
  | { kind: 'lie'; why: string }
  | { kind: 'inconclusive'; why: string };

/**
 * Where the claimed hash sits. A claim (H, X) is backed when a block with hash X comes back at
 * H−1 (length convention) or H (top-index), carries that height and hashes onto a block served
 * just below it (so X is really that block's hash, with work). It is a lie when both heights
 * answered and neither can hold X: nothing there, or valid blocks with other hashes. `answers`
 * holds every answer seen per height, across rounds of asking (a corrupting peer may need several).
 */
export function judgeConvention(
  claim: Claim,
  answers: ReadonlyMap<number, readonly BlockAnswer[]>,
  difficulty: number,
): ConventionVerdict {
  const blocksAt = (h: number) =>
    (answers.get(h) ?? []).flatMap((a) => (a.kind === 'block' && a.block.height === h ? [a.block] : []));
  const linked = (b: Block): boolean => {
    if (b.height === 0) return checkBlock(b, null, difficulty).ok;
    return blocksAt(b.height - 1).some((p) => checkBlock(b, p.hash, difficulty).ok);
  };
  const candidates = [claim.height - 1, claim.height].filter((h) => h >= 0);
  for (const h of candidates) {
    const hit = blocksAt(h).find((b) => b.hash === claim.hash && linked(b));
    if (hit) return { kind: h === claim.height - 1 ? 'length' : 'top_index', top: h, block: hit };
  }
  // Without X there: a lie once every candidate height answered, each time with no block or with
  // a valid block of another hash. A block that does not verify proves nothing either way.
  const holdsNot = (h: number) => {
    const got = answers.get(h) ?? [];
    return (
      got.length > 0 &&
      got.every(
        (a) => a.kind === 'none' || (a.block.hash !== claim.hash && a.block.height === h && linked(a.block)),
      )
    );
  };
  if (candidates.every(holdsNot)) {
    return {
      kind: 'lie',
      why: `no block with hash ${shortHash(claim.hash)} at ${candidates.join(' or ')}`,
    };
  }
  return {
    kind: 'inconclusive',
    why: `the blocks served at ${candidates.join(' and ')} do not verify (see blocks.valid)`,
  };
}

/** stats.convention, from the verdict. */
export function conventionResult(claim: Claim, v: ConventionVerdict, servedTop: number | null): CheckResult {
  const sent = `GET_BLOCK ${[claim.height - 2, claim.height - 1, claim.height].filter((h) => h >= 0).join(', ')}`;
  switch (v.kind) {
    case 'length':
      return check('stats.convention', 'pass', sent, `its hash is block ${v.top}: height counts the length`);
    case 'top_index':
      return check(
        'stats.convention',
        'warn',
        sent,
        `its hash is block ${v.top}: height is the top index`,
        'most peers send the length (top index + 1) and fetch 0..height−1: they miss this peer’s top block (§7 #1)',
      );
    case 'lie':
      return check(
        'stats.convention',
        'fail',
        sent,
        v.why,
        `claims ${claim.height} blocks it does not serve${servedTop === null ? '' : `; it serves blocks up to ${servedTop}`}: a node checking claims bans it`,
      );
    case 'inconclusive':
      return check('stats.convention', 'skip', sent, '–', v.why);
  }
}
