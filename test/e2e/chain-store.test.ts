import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash, type Block, type NetOut, type Tip } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import {
  scrapeMetrics,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
  connectTestBus,
  startService,
} from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';

/** chain-store as a real process on a real nats-server: the store.* contract, GET_BLOCK, reorgs. */

let nats: NatsServerHandle;
let app: ServiceProcess;
let bus: Bus;
let dataDir: string;
let opsPort: number;
const prefix = `cs${process.pid}`;
const committed: Tip[] = [];
const netOut: NetOut[] = [];

const main = syntheticChain(300);

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'chain-store-e2e-'));
  ({ proc: app, opsPort } = await startService('chain-store', nats.url, prefix, { DATA_DIR: dataDir }));
  bus = await connectTestBus(nats.url, prefix, 'e2e');
  bus.on('store.committed', (tip) => committed.push(tip));
  bus.on('net.out', (out) => netOut.push(out));
  await bus.flush();
});

afterAll(async () => {
  await bus?.drain().catch(() => undefined);
  await app?.kill();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A chain read in one store.range is one chain: every block hashes onto the one before. */
function linked(blocks: Block[]): boolean {
  let prev: string | null = null;
  for (const [i, b] of blocks.entries()) {
    if (b.height !== i || blockHash(b, prev) !== b.hash) return false;
    prev = b.hash;
  }
  return true;
}

async function metric(name: string): Promise<number> {
  return (await scrapeMetrics(opsPort))(name);
}

describe('chain-store service', () => {
  it('appends linked batches, publishes store.committed, and serves tip/get/range', async () => {
    expect((await bus.call('store.tip', {})).tip).toEqual({ height: -1, hash: null });
    const r1 = await bus.call('store.append', { expectPrevHash: null, blocks: main.slice(0, 100) });
    expect(r1.tip).toEqual({ height: 99, hash: main[99]!.hash });
    await bus.call('store.append', { expectPrevHash: main[99]!.hash, blocks: main.slice(100, 300) });
    expect((await bus.call('store.tip', {})).tip).toEqual({ height: 299, hash: main[299]!.hash });
    expect((await bus.call('store.get', { height: 42 })).block).toEqual(main[42]);
    expect((await bus.call('store.get', { height: 300 })).block).toBeNull();
    expect((await bus.call('store.range', { from: 250, count: 100 })).blocks).toEqual(main.slice(250));
    await waitFor(() => committed.length >= 2, { what: 'store.committed events' });
    expect(committed.slice(-2)).toEqual([
      { height: 99, hash: main[99]!.hash },
      { height: 299, hash: main[299]!.hash },
    ]);
    expect(await metric('chainsync_chain_store_height')).toBe(299);
    expect(await metric('chainsync_chain_store_blocks_appended_total')).toBe(300);
  });

  it('refuses an append that does not link and leaves the chain unchanged', async () => {
    const r = await bus.request('store.append', {
      expectPrevHash: main[10]!.hash,
      blocks: syntheticChain(5, { from: 300, prevHash: main[10]!.hash }),
    });
    expect(r).toMatchObject({ ok: false, code: 'not_linked' });
    const branch = syntheticChain(3, { from: 300, prevHash: main[299]!.hash });
    const gap = await bus.request('store.append', {
      expectPrevHash: main[299]!.hash,
      blocks: [branch[0]!, branch[2]!],
    });
    expect(gap).toMatchObject({ ok: false, code: 'not_contiguous' });
    expect((await bus.call('store.tip', {})).tip).toEqual({ height: 299, hash: main[299]!.hash });
    expect((await bus.call('store.get', { height: 300 })).block).toBeNull();
    expect(await metric('chainsync_chain_store_writes_refused_total')).toBe(2);
  });

  it('answers a malformed payload with an error reason and keeps serving', async () => {
    const raw = async (subject: string, body: string) =>
      JSON.parse(new TextDecoder().decode((await bus.nc.request(`${prefix}.${subject}`, body)).data));
    expect(await raw('store.append', 'not json')).toMatchObject({ ok: false, code: 'bad_json' });
    expect(await raw('store.append', '{"expectPrevHash":null,"blocks":"x"}')).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(await raw('store.range', '{"from":-5,"count":1}')).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    bus.nc.publish(`${prefix}.net.in.GET_BLOCK`, '{"items":[{"from":"x","msg":{}}]}');
    bus.nc.publish(`${prefix}.net.in.GET_BLOCK`, '][');
    await waitFor(async () => (await metric('chainsync_chain_store_bad_payloads_total')) === 1, {
      what: 'bad payload counted',
    });
    expect((await bus.call('store.tip', {})).tip.height).toBe(299);
  });

  it('serves GET_BLOCK batches from net.in with one batched net.out reply', async () => {
    netOut.length = 0;
    const from = (port: number) => ({ host: '127.0.0.1', port });
    bus.publishNetIn('GET_BLOCK', {
      items: [
        { from: from(40001), msg: { type: 'GET_BLOCK', height: 0 } },
        { from: from(40002), msg: { type: 'GET_BLOCK', height: 299 } },
        { from: from(40001), msg: { type: 'GET_BLOCK', height: 300 } },
      ],
    });
    await waitFor(() => netOut.length > 0, { what: 'net.out reply' });
    expect(netOut).toHaveLength(1);
    const items = netOut[0]!.items;
    expect(items.map((i) => i.to.port)).toEqual([40001, 40002, 40001]);
    expect(items[0]!.msg).toEqual({ type: 'GET_BLOCK_REPLY', ...main[0] });
    expect(items[1]!.msg).toEqual({ type: 'GET_BLOCK_REPLY', ...main[299] });
    expect(items[2]!.msg).toMatchObject({
      type: 'GET_BLOCK_REPLY',
      height: null,
      hash: null,
      messages: null,
    });
  });

  it('reorgs onto a longer staged branch atomically: a reader never sees a mixed chain', async () => {
    // Branch from 150: replaces 150 blocks with 250 (heights 150..399); the whole chain fits one range.
    const branch = syntheticChain(250, { from: 150, prevHash: main[149]!.hash, tag: 'branch' });
    const newChain = [...main.slice(0, 150), ...branch];
    await bus.call('store.stage', { blocks: branch.slice(0, 100) });
    await bus.call('store.stage', { blocks: branch.slice(100) });

    let stop = false;
    let oldSeen = 0;
    let newSeen = 0;
    const mixed: string[] = [];
    const reader = (async () => {
      while (!stop || newSeen === 0) {
        const { blocks } = await bus.call('store.range', { from: 0, count: 500 });
        if (!linked(blocks)) mixed.push(`unlinked chain of ${blocks.length}`);
        else if (blocks.length === 300 && blocks[299]!.hash === main[299]!.hash) oldSeen++;
        else if (blocks.length === 400 && blocks[399]!.hash === branch[249]!.hash) newSeen++;
        else mixed.push(`unexpected chain of ${blocks.length}`);
      }
    })();
    await waitFor(() => oldSeen > 3, { what: 'reader running on the old chain' });
    const committedBefore = committed.length;
    const r = await bus.call('store.reorg', { fromHeight: 150, topHeight: 399, tipHash: branch[249]!.hash });
    expect(r).toMatchObject({ tip: { height: 399, hash: branch[249]!.hash }, replaced: 150 });
    await waitFor(() => newSeen > 3, { what: 'reader on the new chain' });
    stop = true;
    await reader;
    expect(mixed).toEqual([]);
    expect(oldSeen).toBeGreaterThan(0);
    expect((await bus.call('store.range', { from: 0, count: 500 })).blocks).toEqual(newChain);
    await waitFor(() => committed.length > committedBefore, { what: 'store.committed after reorg' });
    expect(committed.at(-1)).toEqual({ replacedFrom: 150, height: 399, hash: branch[249]!.hash });
    expect((await bus.call('store.stage.clear', {})).cleared).toBe(0);
    expect(await metric('chainsync_chain_store_reorgs_total')).toBe(1);
    expect(await metric('chainsync_chain_store_switches_total{kind="reorg"')).toBe(1);
    expect(await metric('chainsync_chain_store_staged_blocks')).toBe(0);
  });

  it('refuses a reorg that would not make the chain taller, writing nothing', async () => {
    const tip = (await bus.call('store.tip', {})).tip;
    const short = syntheticChain(10, {
      from: 380,
      prevHash: (await bus.call('store.get', { height: 379 })).block!.hash,
    });
    await bus.call('store.stage', { blocks: short });
    const r = await bus.request('store.reorg', { fromHeight: 380, topHeight: 389, tipHash: short[9]!.hash });
    expect(r).toMatchObject({ ok: false, code: 'not_taller' });
    expect((await bus.call('store.tip', {})).tip).toEqual(tip);
    expect((await bus.call('store.stage.clear', {})).cleared).toBe(10);
  });

  it('stages above the tip invisibly (no GET_BLOCK serves it), reports it, and switches to it', async () => {
    const tip = (await bus.call('store.tip', {})).tip;
    const ext = syntheticChain(20, { from: tip.height + 1, prevHash: tip.hash, tag: 'ext' });
    const top = ext.at(-1)!;
    expect(await bus.call('store.stage', { blocks: ext })).toMatchObject({ staged: 20 });
    expect((await bus.call('store.get', { height: top.height })).block).toBeNull();
    expect((await bus.call('store.range', { from: tip.height, count: 50 })).blocks).toHaveLength(1);
    const { hashes } = await bus.call('store.staged', { from: tip.height, count: 22 });
    expect(hashes).toEqual([null, ...ext.map((b) => b.hash), null]);
    expect(await metric('chainsync_chain_store_staged_blocks')).toBe(20);
    netOut.length = 0;
    bus.publishNetIn('GET_BLOCK', {
      items: [
        { from: { host: '127.0.0.1', port: 40003 }, msg: { type: 'GET_BLOCK', height: tip.height + 1 } },
      ],
    });
    await waitFor(() => netOut.length > 0, { what: 'net.out reply' });
    expect(netOut[0]!.items[0]!.msg).toMatchObject({ type: 'GET_BLOCK_REPLY', height: null, hash: null });

    const r = await bus.call('store.reorg', {
      fromHeight: tip.height + 1,
      topHeight: top.height,
      tipHash: top.hash,
    });
    expect(r).toEqual({ ok: true, tip: { height: top.height, hash: top.hash }, replaced: 0 });
    expect((await bus.call('store.get', { height: top.height })).block).toEqual(top);
    expect(await metric('chainsync_chain_store_switches_total{kind="extend"')).toBe(1);
    expect(await metric('chainsync_chain_store_reorgs_total')).toBe(1); // an extend is not a reorg
    expect(await metric('chainsync_chain_store_staged_blocks')).toBe(0);
    expect(await metric('chainsync_chain_store_height')).toBe(top.height);
  });

  it('refuses a switch with a hole above the tip and clears the staged leftovers on request', async () => {
    const tip = (await bus.call('store.tip', {})).tip;
    const ext = syntheticChain(10, { from: tip.height + 1, prevHash: tip.hash, tag: 'holed' });
    await bus.call('store.stage', { blocks: ext.filter((_, i) => i !== 4) });
    const top = ext.at(-1)!;
    const r = await bus.request('store.reorg', {
      fromHeight: tip.height + 1,
      topHeight: top.height,
      tipHash: top.hash,
    });
    expect(r).toMatchObject({ ok: false, code: 'not_staged' });
    expect((await bus.call('store.tip', {})).tip).toEqual(tip);
    expect(await metric('chainsync_chain_store_writes_refused_total{op="reorg",code="not_staged"')).toBe(1);
    expect((await bus.call('store.stage.clear', {})).cleared).toBe(9);
    expect(await metric('chainsync_chain_store_staged_blocks')).toBe(0);
    expect((await bus.call('store.staged', { from: tip.height + 1, count: 10 })).hashes).toEqual(
      new Array(10).fill(null),
    );
  });
});
