import { describe, expect, it } from 'vitest';
import { checkAppend, planReorg } from './chain-rules.js';
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

describe('planReorg', () => {
  const main = chain; // tip at 9
  const branch = syntheticChain(8, { from: 5, prevHash: main[4]!.hash, tag: 'branch' }); // 5..12
  const staging = new Map(branch.map((b) => [b.height, b]));
  const staged = (h: number) => staging.get(h);

  it('finds the staged run ending at tipHash', () => {
    expect(planReorg(tipOf(10), 5, branch[7]!.hash, main[4]!.hash, staged)).toEqual({ ok: true, top: 12 });
    // Stops at tipHash even when more is staged above it.
    expect(planReorg(tipOf(10), 5, branch[6]!.hash, main[4]!.hash, staged)).toEqual({ ok: true, top: 11 });
  });

  it('refuses a branch that is not taller', () => {
    expect(planReorg(tipOf(10), 5, branch[4]!.hash, main[4]!.hash, staged).ok).toBe(false);
    expect((planReorg(tipOf(10), 5, branch[4]!.hash, main[4]!.hash, staged) as { code: string }).code).toBe(
      'not_taller',
    );
  });

  it('refuses a branch that does not link to the block below fromHeight', () => {
    const r = planReorg(tipOf(10), 5, branch[7]!.hash, main[3]!.hash, staged);
    expect(r).toMatchObject({ ok: false, code: 'not_linked' });
  });

  it('refuses a gap or a foreign block inside the staged run', () => {
    const holes = new Map(staging);
    holes.delete(8);
    expect(planReorg(tipOf(10), 5, branch[7]!.hash, main[4]!.hash, (h) => holes.get(h))).toMatchObject({
      code: 'not_staged',
    });
    const mixed = new Map(staging);
    mixed.set(8, main[8]!);
    expect(planReorg(tipOf(10), 5, branch[7]!.hash, main[4]!.hash, (h) => mixed.get(h))).toMatchObject({
      code: 'not_contiguous',
    });
  });

  it('refuses a fromHeight above the tip + 1 and an unknown tipHash', () => {
    expect(planReorg(tipOf(3), 5, branch[7]!.hash, main[4]!.hash, staged)).toMatchObject({
      code: 'bad_from_height',
    });
    expect(planReorg(tipOf(10), 5, 'f'.repeat(64), main[4]!.hash, staged)).toMatchObject({
      code: 'not_staged',
    });
  });

  it('allows replacing from genesis', () => {
    const other = syntheticChain(12, { tag: 'genesis2' });
    const m = new Map(other.map((b) => [b.height, b]));
    expect(planReorg(tipOf(10), 0, other[11]!.hash, null, (h) => m.get(h))).toEqual({ ok: true, top: 11 });
  });
});
