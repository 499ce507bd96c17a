import type { Block, BlockVerdict, Message, PeerAddr, RequestSubject } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import type { ConsensusIo } from './consensus.js';
import {
  BUS_BATCH_BYTES,
  BUS_TIMEOUT_MS,
  MAX_BLOCKS_PER_BATCH,
  MAX_NET_GET_HEIGHTS,
  VALIDATE_TIMEOUT_MS,
} from './limits.js';
import type { ConsensusMetrics } from './metrics.js';

/** Datagrams per net.out message: ~70 B each as JSON, so a full one stays far below the bus cap. */
const NET_OUT_CHUNK = 4096;
/** store.range reads per request when we need our own hashes. */
const RANGE_CHUNK = 500;

/**
 * A block's JSON and its UTF-8 size, made once: each block goes to a validator and then to the
 * store (the block objects live until staged, so a WeakMap frees them with the block). Strings
 * joined and encoded once per request cost less than a Buffer per block.
 */
const jsonCache = new WeakMap<Block, { json: string; bytes: number }>();
function blockJson(b: Block): { json: string; bytes: number } {
  let j = jsonCache.get(b);
  if (j === undefined) {
    const json = JSON.stringify(b);
    jsonCache.set(b, (j = { json, bytes: Buffer.byteLength(json) }));
  }
  return j;
}
const encoder = new TextEncoder();

/**
 * Splits a run of blocks so that each request's blocks stay under BUS_BATCH_BYTES of encoded
 * JSON and MAX_BLOCKS_PER_BATCH blocks. Measured in bytes, not characters: a block of 3-byte
 * characters is three times its string length on the bus.
 */
export function chunkBlocks(blocks: readonly Block[], maxBytes = BUS_BATCH_BYTES): Block[][] {
  const out: Block[][] = [];
  let cur: Block[] = [];
  let bytes = 0;
  for (const b of blocks) {
    const n = blockJson(b).bytes + 1;
    if (cur.length > 0 && (bytes + n > maxBytes || cur.length >= MAX_BLOCKS_PER_BATCH)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(b);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The coordinator's I/O over the bus: thin, no decisions. */
export function busIo(bus: Bus, m: ConsensusMetrics, difficulty: number): ConsensusIo {
  /** A request whose payload is `head` plus the blocks' cached JSON; an error reply throws. */
  function callWithBlocks<S extends RequestSubject>(
    subject: S,
    head: Record<string, unknown>,
    blocks: Block[],
  ) {
    const prefix = JSON.stringify(head).slice(0, -1);
    const body = `${prefix}${prefix.length > 1 ? ',' : ''}"blocks":[${blocks.map((b) => blockJson(b).json).join(',')}]}`;
    const timeoutMs = subject === 'validate' ? VALIDATE_TIMEOUT_MS : BUS_TIMEOUT_MS;
    return bus.callEncoded(subject, encoder.encode(body), timeoutMs);
  }

  const sendMessages = (items: { to: PeerAddr; msg: Message }[]) => {
    for (let i = 0; i < items.length; i += NET_OUT_CHUNK) {
      bus.publish('net.out', { items: items.slice(i, i + NET_OUT_CHUNK) });
    }
  };

  return {
    now: Date.now,
    sendMessages,
    send(requests) {
      // Grouped by peer: one net.get carries the heights, gossip makes the datagrams.
      const byPeer = new Map<string, { to: PeerAddr; heights: number[] }>();
      for (const r of requests) {
        const key = `${r.to.host}:${r.to.port}`;
        let item = byPeer.get(key);
        if (!item) byPeer.set(key, (item = { to: r.to, heights: [] }));
        item.heights.push(r.height);
      }
      let items: { to: PeerAddr; heights: number[] }[] = [];
      let n = 0;
      for (const item of byPeer.values()) {
        if (n + item.heights.length > MAX_NET_GET_HEIGHTS && items.length > 0) {
          bus.publish('net.get', { items });
          items = [];
          n = 0;
        }
        items.push(item);
        n += item.heights.length;
      }
      if (items.length > 0) bus.publish('net.get', { items });
    },
    async validate(prevHash: string | null, firstHeight: number, blocks: Block[]) {
      const end = m.validateSeconds.startTimer();
      // Chunks go out together; each links to the (claimed) hash of the block before it.
      let prev = prevHash;
      let height = firstHeight;
      const parts = chunkBlocks(blocks).map((chunk) => {
        const req = { difficulty, prevHash: prev, firstHeight: height };
        prev = chunk[chunk.length - 1]!.hash;
        height += chunk.length;
        return callWithBlocks('validate', req, chunk);
      });
      const verdicts: BlockVerdict[] = (await Promise.all(parts)).flatMap((r) => r.verdicts);
      end();
      return verdicts;
    },
    async append(expectPrevHash: string | null, blocks: Block[]) {
      let prev = expectPrevHash;
      let tip = null;
      for (const chunk of chunkBlocks(blocks)) {
        tip = (await callWithBlocks('store.append', { expectPrevHash: prev }, chunk)).tip;
        prev = chunk[chunk.length - 1]!.hash;
      }
      return tip!;
    },
    async stage(blocks: Block[]) {
      const end = m.stageSeconds.startTimer();
      for (const chunk of chunkBlocks(blocks)) await callWithBlocks('store.stage', {}, chunk);
      end();
    },
    async clearStage() {
      await bus.call('store.stage.clear', {}, BUS_TIMEOUT_MS);
    },
    async reorg(fromHeight: number, topHeight: number, tipHash: string) {
      return (await bus.call('store.reorg', { fromHeight, topHeight, tipHash }, BUS_TIMEOUT_MS)).tip;
    },
    async ourHashes(from: number, count: number) {
      const out: (string | null)[] = [];
      while (out.length < count) {
        const at = from + out.length;
        const n = Math.min(RANGE_CHUNK, count - out.length);
        const { blocks } = await bus.call('store.range', { from: at, count: n }, BUS_TIMEOUT_MS);
        // Our chain has no gaps: an empty answer means the rest is above our tip. A short one was
        // cut at the reply's byte cap; the next request goes on from there.
        if (blocks.length === 0) while (out.length < count) out.push(null);
        for (const b of blocks) out.push(b.hash);
      }
      return out;
    },
    async peers() {
      return (await bus.call('peers.list', {}, BUS_TIMEOUT_MS)).peers;
    },
    async tip() {
      return (await bus.call('store.tip', {}, BUS_TIMEOUT_MS)).tip;
    },
  };
}
