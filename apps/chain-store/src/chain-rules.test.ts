import { describe, expect, it } from 'vitest';
import { blockHash, type Block, type Tip } from '@chainsync/protocol';
import { checkAppend, checkSwitch, type Hasher, type StagedRun } from './chain-rules.js';
import { syntheticChain } from './synthetic.js';

const chain = syntheticChain(10);
const tipOf = (n: number) => ({ height: n - 1, hash: n === 0 ? null : chain[n - 1]!.hash });

describe('checkAppend', () => {
  it('accepts genesis on an empty chain and a batch continuing the tip', () => {
    expect(checkAppend({ height: -1, hash: null }, null, chain.slice(0, 3))).toBeNull();
    expect(checkAppend(tipOf(3), chain[2]!.hash, chain.slice(3, 7))).toBeNull();
  });

  it('refuses not_linked when expectPrevHash is not the tip hash', () => {
    expect(checkAppend(tipOf(3), chain[1]!.hash, chain.slice(3, 7))?.code).toBe('not_linked');
    expect(checkAppend(tipOf(3), chain[1]!.hash, [])?.code).toBe('not_linked');
  });

  it('refuses not_linked when the first height does not follow the tip', () => {
    expect(checkAppend(tipOf(3), chain[2]!.hash, chain.slice(4, 7))?.code).toBe('not_linked');
  });

  it('refuses not_linked when the first block does not hash onto the tip (a lie at the boundary)', () => {
    const other = syntheticChain(5, { tag: 'other' });
    // Right height, and the caller claims the right prev hash, but the block belongs to another chain.
    expect(checkAppend(tipOf(3), chain[2]!.hash, other.slice(3, 5))?.code).toBe('not_linked');
  });

  it('refuses not_contiguous on a gap or repeat inside the batch', () => {
    const gap = [chain[3]!, chain[4]!, chain[6]!];
    expect(checkAppend(tipOf(3), chain[2]!.hash, gap)?.code).toBe('not_contiguous');
    const repeat = [chain[3]!, chain[3]!];
    expect(checkAppend(tipOf(3), chain[2]!.hash, repeat)?.code).toBe('not_contiguous');
  });
});

describe('checkSwitch', () => {
  const main = chain; // tip at 9
  const tip = tipOf(10);
  const extension = syntheticChain(5, { from: 10, prevHash: main[9]!.hash }); // 10..14, onto our tip
  const branch = syntheticChain(10, { from: 5, prevHash: main[4]!.hash, tag: 'branch' }); // 5..14

  /** A store's view: main chain up to the tip, `below` in staging, `above` over the tip. */
  function runOf(
    below: readonly Block[],
    above: readonly Block[],
    topHeight: number,
    t: Tip = tip,
  ): StagedRun {
    const staging = new Map(below.map((b) => [b.height, b]));
    const over = new Map(above.map((b) => [b.height, b]));
    return {
      mainHash: (h) => {
        if (h < 0 || h > t.height) throw new Error(`main-chain block ${h} read`);
        return main[h]!.hash;
      },
      replacement: (h) => staging.get(h),
      above: (h) => over.get(h),
      aboveCount: [...over.keys()].filter((h) => h > t.height && h <= topHeight).length,
    };
  }
  const req = (fromHeight: number, top: Block) => ({ fromHeight, topHeight: top.height, tipHash: top.hash });

  it('accepts an extend (fromHeight = tip + 1): nothing replaced', () => {
    expect(checkSwitch(tip, req(10, extension[4]!), runOf([], extension, 14))).toEqual({
      ok: true,
      replaced: 0,
    });
  });

  it('accepts a reorg: the staged part below the tip and the run above it, one chain', () => {
    const run = runOf(branch.slice(0, 5), branch.slice(5), 14);
    expect(checkSwitch(tip, req(5, branch[9]!), run)).toEqual({ ok: true, replaced: 5 });
    // A run may end below what is staged above it (leftovers beyond topHeight are not counted).
    expect(checkSwitch(tip, req(5, branch[6]!), runOf(branch.slice(0, 5), branch.slice(5), 11))).toEqual({
      ok: true,
      replaced: 5,
    });
  });

  it('hashes the first block onto null at genesis, never reading a block -1', () => {
    const other = syntheticChain(12, { tag: 'genesis2' });
    expect(checkSwitch(tip, req(0, other[11]!), runOf(other.slice(0, 10), other.slice(10), 11))).toEqual({
      ok: true,
      replaced: 10,
    });
    const empty = { height: -1, hash: null };
    expect(checkSwitch(empty, req(0, other[11]!), runOf([], other, 11, empty))).toEqual({
      ok: true,
      replaced: 0,
    });
  });

  it('refuses bad_from_height above tip + 1', () => {
    const ahead = syntheticChain(3, { from: 11, prevHash: 'a'.repeat(64) });
    expect(checkSwitch(tip, req(11, ahead[2]!), runOf([], ahead, 13))).toMatchObject({
      code: 'bad_from_height',
    });
  });

  it('refuses not_taller when topHeight is not above the tip', () => {
    const short = branch.slice(0, 5); // 5..9: as tall as the chain, all in staging
    expect(checkSwitch(tip, req(5, short[4]!), runOf(short, [], 9))).toMatchObject({ code: 'not_taller' });
  });

  it('refuses not_staged for a hole above the tip, found by count without reading the run', () => {
    const holed = extension.filter((b) => b.height !== 12);
    expect(checkSwitch(tip, req(10, extension[4]!), runOf([], holed, 14))).toMatchObject({
      code: 'not_staged',
    });
  });

  it('refuses not_staged when the block at topHeight is not tipHash', () => {
    const r = checkSwitch(
      tip,
      { fromHeight: 10, topHeight: 14, tipHash: extension[3]!.hash },
      runOf([], extension, 14),
    );
    expect(r).toMatchObject({ code: 'not_staged' });
  });

  it('refuses not_staged for a hole in the part below the tip', () => {
    const holed = branch.slice(0, 5).filter((b) => b.height !== 7);
    expect(checkSwitch(tip, req(5, branch[9]!), runOf(holed, branch.slice(5), 14))).toMatchObject({
      code: 'not_staged',
    });
  });

  it('refuses not_linked when the first block does not hash onto main-chain block fromHeight − 1', () => {
    // The branch forks at 5; claiming it starts at 6 puts its block 6 onto our block 5.
    expect(
      checkSwitch(tip, req(6, branch[9]!), runOf(branch.slice(1, 5), branch.slice(5), 14)),
    ).toMatchObject({
      code: 'not_linked',
    });
    // Extend: the first block above the tip belongs to another chain.
    const foreign = syntheticChain(15, { tag: 'foreign' }).slice(10);
    expect(checkSwitch(tip, req(10, foreign[4]!), runOf([], foreign, 14))).toMatchObject({
      code: 'not_linked',
    });
  });

  it('refuses not_contiguous for a foreign block inside the part below the tip', () => {
    const mixed = branch.slice(0, 5).map((b) => (b.height === 7 ? main[7]! : b));
    expect(checkSwitch(tip, req(5, branch[9]!), runOf(mixed, branch.slice(5), 14))).toMatchObject({
      code: 'not_contiguous',
    });
  });

  it('refuses not_contiguous when the run above the tip does not hash onto the staged part', () => {
    // Staging holds the branch 5..9, but above the tip sits our own extension (onto main block 9).
    expect(checkSwitch(tip, req(5, extension[4]!), runOf(branch.slice(0, 5), extension, 14))).toMatchObject({
      code: 'not_contiguous',
    });
  });

  it('checks a 200 000-block extend with two reads and one hash, whatever lies between', () => {
    const top = 9 + 200_000;
    const reads: number[] = [];
    let hashes = 0;
    const topBlock = { ...extension[4]!, height: top };
    const run: StagedRun = {
      mainHash: (h) => main[h]!.hash,
      replacement: () => undefined,
      above: (h) => {
        reads.push(h);
        if (h === 10) return extension[0];
        return h === top ? topBlock : undefined; // every block between is unreadable here
      },
      aboveCount: 200_000,
    };
    const counting: Hasher = (b, prev) => {
      hashes++;
      return blockHash(b, prev);
    };
    const r = checkSwitch(tip, { fromHeight: 10, topHeight: top, tipHash: topBlock.hash }, run, counting);
    expect(r).toEqual({ ok: true, replaced: 0 });
    expect(reads.sort((a, b) => a - b)).toEqual([10, top]);
    expect(hashes).toBe(1);
  });
});
