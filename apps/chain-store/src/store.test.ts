import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainStore, EMPTY_TIP, StoreCorruptError } from './store.js';
import { syntheticChain } from './synthetic.js';

let dir: string;
let store: ChainStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chain-store-'));
  store = ChainStore.open({ path: dir });
});
afterEach(async () => {
  await store.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const chain = syntheticChain(20);

describe('ChainStore', () => {
  it('starts empty and appends batches that link', async () => {
    expect(store.tip()).toEqual(EMPTY_TIP);
    expect(await store.append(null, chain.slice(0, 5))).toEqual({
      ok: true,
      tip: { height: 4, hash: chain[4]!.hash },
    });
    expect(await store.append(chain[4]!.hash, chain.slice(5, 12))).toMatchObject({ ok: true });
    expect(store.tip()).toEqual({ height: 11, hash: chain[11]!.hash });
    expect(store.get(7)).toEqual(chain[7]);
    expect(store.get(12)).toBeNull();
    expect(store.range(3, 100)).toEqual(chain.slice(3, 12));
  });

  it('refuses a batch that does not link, and writes nothing', async () => {
    await store.append(null, chain.slice(0, 5));
    const r = await store.append(chain[3]!.hash, chain.slice(5, 8));
    expect(r).toMatchObject({ ok: false, code: 'not_linked' });
    const gap = await store.append(chain[4]!.hash, [chain[5]!, chain[7]!]);
    expect(gap).toMatchObject({ ok: false, code: 'not_contiguous' });
    expect(store.tip()).toEqual({ height: 4, hash: chain[4]!.hash });
    expect(store.get(5)).toBeNull();
    expect(store.keyBounds()).toEqual({ lowest: 0, highest: 4, count: 5 });
  });

  it('keeps pipelined appends in order (several in flight at once)', async () => {
    const results = await Promise.all([
      store.append(null, chain.slice(0, 5)),
      store.append(chain[4]!.hash, chain.slice(5, 10)),
      store.append(chain[9]!.hash, chain.slice(10, 20)),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.range(0, 100)).toEqual(chain);
  });

  it('reorgs onto a taller staged branch in one step and clears staging', async () => {
    await store.append(null, chain.slice(0, 10));
    const branch = syntheticChain(8, { from: 6, prevHash: chain[5]!.hash, tag: 'branch' }); // 6..13
    expect(await store.stage(branch.slice(0, 4))).toEqual({ staged: 4 });
    // Incomplete branch: refused, chain untouched.
    expect(await store.reorg(6, branch[7]!.hash)).toMatchObject({ ok: false, code: 'not_staged' });
    expect(store.get(6)).toEqual(chain[6]);
    await store.stage(branch.slice(4));
    const r = await store.reorg(6, branch[7]!.hash);
    expect(r).toEqual({ ok: true, tip: { height: 13, hash: branch[7]!.hash }, replaced: 4 });
    expect(store.range(0, 100)).toEqual([...chain.slice(0, 6), ...branch]);
    expect(await store.clearStaging()).toEqual({ cleared: 0 });
  });

  it('refuses a reorg that is not taller, and clears staging on request', async () => {
    await store.append(null, chain.slice(0, 10));
    const branch = syntheticChain(3, { from: 6, prevHash: chain[5]!.hash, tag: 'short' });
    await store.stage(branch);
    expect(await store.reorg(6, branch[2]!.hash)).toMatchObject({ ok: false, code: 'not_taller' });
    expect(store.range(0, 100)).toEqual(chain.slice(0, 10));
    expect(await store.clearStaging()).toEqual({ cleared: 3 });
  });

  it('survives close and reopen, and refuses to open a store whose tip record disagrees', async () => {
    await store.append(null, chain.slice(0, 10));
    await store.close();
    store = ChainStore.open({ path: dir });
    expect(store.tip()).toEqual({ height: 9, hash: chain[9]!.hash });
    // Break the invariant behind the store's back: a block above the tip.
    await (store as unknown as { blocks: { put(k: number, v: unknown): Promise<boolean> } }).blocks.put(10, [
      chain[10]!.hash,
      'x',
      [],
      '0',
      0,
    ]);
    await store.close();
    expect(() => ChainStore.open({ path: dir })).toThrow(StoreCorruptError);
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'chain-store-'));
    store = ChainStore.open({ path: dir });
  });

  it('opens a DATA_DIR whose name has a dot as a directory', async () => {
    const dotted = ChainStore.open({ path: join(dir, 'data.v1') });
    expect(await dotted.append(null, chain.slice(0, 2))).toMatchObject({ ok: true });
    await dotted.close();
    const reader = ChainStore.open({ path: join(dir, 'data.v1'), readOnly: true });
    expect(reader.tip().height).toBe(1);
    await reader.close();
  });

  it('stops a range early when the byte budget is reached', async () => {
    await store.append(null, chain.slice(0, 10));
    expect(store.range(0, 10, 250, () => 100)).toHaveLength(2);
    expect(store.range(0, 10, 1, () => 100)).toHaveLength(1);
  });
});
