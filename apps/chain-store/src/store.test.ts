import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockHash } from '@chainsync/protocol';
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

/** KB of `file` resident in this process through its memory maps (/proc/self/smaps). */
function residentKb(file: string): number {
  let kb = 0;
  let mapping = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mapping = line;
    else if (line.startsWith('Rss:') && mapping.endsWith(file)) kb += Number(line.split(/\s+/)[1]);
  }
  return kb;
}

/** Reopens the store with a hasher that counts its calls: the work a switch does. */
async function reopenCountingHashes(): Promise<{ count: number }> {
  const hashes = { count: 0 };
  await store.close();
  store = ChainStore.open({
    path: dir,
    hash: (b, prev) => {
      hashes.count++;
      return blockHash(b, prev);
    },
  });
  return hashes;
}

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

  it('stages below the tip into staging and above it into blocks, invisible either way', async () => {
    await store.append(null, chain.slice(0, 10));
    const branch = syntheticChain(6, { from: 7, prevHash: chain[6]!.hash, tag: 'branch' }); // 7..12
    expect(await store.stage([...branch].reverse())).toEqual({ staged: 6 }); // any order
    expect(store.tip()).toEqual({ height: 9, hash: chain[9]!.hash });
    expect(store.get(8)).toEqual(chain[8]);
    expect(store.get(10)).toBeNull();
    expect(store.range(0, 100)).toEqual(chain.slice(0, 10));
    // 7..9 in staging (blocks keeps its 10 chain keys there), 10..12 in blocks above the tip.
    expect(store.keyBounds()).toEqual({ lowest: 0, highest: 12, count: 13 });
    expect(store.stagedCount()).toBe(6);
    expect(store.staged(5, 10)).toEqual([null, null, ...branch.map((b) => b.hash), null, null]);
    // Overwrites: staging the same heights again stages nothing new.
    await store.stage(branch.slice(2));
    expect(store.stagedCount()).toBe(6);
  });

  it('switches to a staged extend by moving the tip (fromHeight = tip + 1)', async () => {
    await store.append(null, chain.slice(0, 10));
    await store.stage(chain.slice(10, 20));
    const r = await store.reorg({ fromHeight: 10, topHeight: 19, tipHash: chain[19]!.hash });
    expect(r).toEqual({ ok: true, tip: { height: 19, hash: chain[19]!.hash }, replaced: 0 });
    expect(store.range(0, 100)).toEqual(chain);
    expect(store.stagedCount()).toBe(0);
  });

  it('switches to a staged branch: copies the replaced part, deletes leftovers above the top', async () => {
    await store.append(null, chain.slice(0, 10));
    const branch = syntheticChain(10, { from: 6, prevHash: chain[5]!.hash, tag: 'branch' }); // 6..15
    await store.stage(branch.slice(0, 4)); // 6..9 (≤ tip): staging
    // Incomplete run: refused, chain untouched.
    expect(await store.reorg({ fromHeight: 6, topHeight: 13, tipHash: branch[7]!.hash })).toMatchObject({
      ok: false,
      code: 'not_staged',
    });
    await store.stage(branch.slice(4)); // 10..15 above the tip
    expect(store.get(6)).toEqual(chain[6]);
    const r = await store.reorg({ fromHeight: 6, topHeight: 13, tipHash: branch[7]!.hash });
    expect(r).toEqual({ ok: true, tip: { height: 13, hash: branch[7]!.hash }, replaced: 4 });
    expect(store.range(0, 100)).toEqual([...chain.slice(0, 6), ...branch.slice(0, 8)]);
    // 14 and 15 were staged above the new top: deleted, and staging is empty.
    expect(store.keyBounds()).toEqual({ lowest: 0, highest: 13, count: 14 });
    expect(store.stagedCount()).toBe(0);
    expect(await store.clearStaged()).toEqual({ cleared: 0 });
  });

  it('refuses a switch that is not taller or not linked, writing nothing', async () => {
    await store.append(null, chain.slice(0, 10));
    const short = syntheticChain(3, { from: 6, prevHash: chain[5]!.hash, tag: 'short' });
    await store.stage(short);
    expect(await store.reorg({ fromHeight: 6, topHeight: 8, tipHash: short[2]!.hash })).toMatchObject({
      ok: false,
      code: 'not_taller',
    });
    const foreign = syntheticChain(13, { tag: 'foreign' }).slice(10);
    await store.stage(foreign);
    expect(await store.reorg({ fromHeight: 10, topHeight: 12, tipHash: foreign[2]!.hash })).toMatchObject({
      ok: false,
      code: 'not_linked',
    });
    expect(store.range(0, 100)).toEqual(chain.slice(0, 10));
    expect(store.stagedCount()).toBe(6);
    expect(await store.clearStaged()).toEqual({ cleared: 6 });
    expect(store.keyBounds()).toEqual({ lowest: 0, highest: 9, count: 10 });
    expect(store.stagedCount()).toBe(0);
  });

  it('counts what earlier writes of the same commit staged (stage and switch queued together)', async () => {
    await store.append(null, chain.slice(0, 10));
    const [staged, switched] = await Promise.all([
      store.stage(chain.slice(10, 20)),
      store.reorg({ fromHeight: 10, topHeight: 19, tipHash: chain[19]!.hash }),
    ]);
    expect(staged).toEqual({ staged: 10 });
    expect(switched).toMatchObject({ ok: true, tip: { height: 19 } });
  });

  it('lets an append at tip + 1 overwrite a block staged there', async () => {
    await store.append(null, chain.slice(0, 10));
    const other = syntheticChain(3, { from: 10, prevHash: chain[9]!.hash, tag: 'other' });
    await store.stage(other);
    expect(await store.append(chain[9]!.hash, chain.slice(10, 12))).toMatchObject({ ok: true });
    expect(store.range(10, 5)).toEqual(chain.slice(10, 12));
    expect(store.stagedCount()).toBe(1); // only 12 is still staged
    expect(store.staged(10, 3)).toEqual([null, null, other[2]!.hash]);
  });

  it('switches a 200 000-block staged extend with one hash and no copy', async () => {
    const hashes = await reopenCountingHashes();
    const long = syntheticChain(200_010);
    await store.append(null, long.slice(0, 10));
    for (let from = 10; from < long.length; from += 50_000)
      await store.stage(long.slice(from, from + 50_000));
    const internals = store as unknown as { blocks: { put: unknown }; env: { childTransaction: unknown } };
    const puts = vi.spyOn(internals.blocks, 'put' as never);
    const transactions = vi.spyOn(internals.env, 'childTransaction' as never);
    const top = long.at(-1)!;
    const r = await store.reorg({ fromHeight: 10, topHeight: top.height, tipHash: top.hash });
    expect(r).toEqual({ ok: true, tip: { height: 200_009, hash: top.hash }, replaced: 0 });
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(hashes.count).toBe(1);
    expect(puts).not.toHaveBeenCalled();
    expect(store.get(100_000)).toEqual(long[100_000]);
  });

  it('re-hashes and copies only the reorg depth when a branch replaces the top of the chain', async () => {
    const hashes = await reopenCountingHashes();
    await store.append(null, chain.slice(0, 10));
    const branch = syntheticChain(1_004, { from: 6, prevHash: chain[5]!.hash, tag: 'branch' }); // 6..1009
    await store.stage(branch);
    const puts = vi.spyOn((store as unknown as { blocks: { put: unknown } }).blocks, 'put' as never);
    const r = await store.reorg({ fromHeight: 6, topHeight: 1009, tipHash: branch.at(-1)!.hash });
    expect(r).toMatchObject({ ok: true, replaced: 4 });
    expect(hashes.count).toBe(5); // 6..9 from staging, then 10 onto 9
    expect(puts).toHaveBeenCalledTimes(4);
  });

  it('answers store.staged within a byte budget', async () => {
    await store.append(null, chain.slice(0, 5));
    await store.stage(chain.slice(5, 10));
    expect(store.staged(5, 5)).toEqual(chain.slice(5, 10).map((b) => b.hash));
    // 2 bytes of brackets + 67 per hash: 3 hashes fit in 203 bytes, not in 202.
    expect(store.staged(5, 5, 203)).toHaveLength(3);
    expect(store.staged(5, 5, 202)).toHaveLength(2);
    expect(store.staged(5, 5, 1)).toHaveLength(1);
  });

  it('survives close and reopen, and refuses to open a store whose tip record disagrees', async () => {
    await store.append(null, chain.slice(0, 10));
    await store.close();
    store = ChainStore.open({ path: dir });
    expect(store.tip()).toEqual({ height: 9, hash: chain[9]!.hash });
    // Blocks above the tip are staged, not corruption.
    await store.stage(chain.slice(10, 12));
    await store.close();
    store = ChainStore.open({ path: dir });
    expect(store.tip()).toEqual({ height: 9, hash: chain[9]!.hash });
    // Break the invariant behind the store's back: the block at the tip is not the tip record's.
    await (store as unknown as { blocks: { put(k: number, v: unknown): Promise<boolean> } }).blocks.put(9, [
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

  it('maps its file once: what it holds resident of the database never exceeds the file', async () => {
    // Without a map size lmdb-js mapped the file again at each doubling and kept the old maps:
    // 30 000 blocks written and read back held 1.6× the file (6.3 MB for 4 MB).
    const long = syntheticChain(30_000);
    for (let i = 0; i < long.length; i += 500) {
      expect(await store.append(i === 0 ? null : long[i - 1]!.hash, long.slice(i, i + 500))).toMatchObject({
        ok: true,
      });
    }
    for (let h = 0; h < long.length; h += 1_000) expect(store.range(h, 1_000)).toHaveLength(1_000);
    const file = join(dir, 'data.mdb');
    expect(residentKb(file)).toBeGreaterThan(0);
    expect(residentKb(file)).toBeLessThanOrEqual(statSync(file).size / 1024);
  });
});
