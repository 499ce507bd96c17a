import type { Block, BlockVerdict, Message, PeerAddr, RequestSubject } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import type { ConsensusIo } from './consensus.js';
import { BUS_BATCH_BYTES, BUS_TIMEOUT_MS, VALIDATE_TIMEOUT_MS } from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import type { Assignment } from './scheduler.js';

/** Datagrams per net.out message: ~70 B each as JSON, so a full one stays far below the bus cap. */
const NET_OUT_CHUNK = 4096;
const encoder = new TextEncoder();

/**
 * Each block goes to a validator and then to the store: its JSON is made once and reused (the
 * block objects live until committed, so a WeakMap frees the text with them).
 */
const jsonCache = new WeakMap<Block, string>();
function blockJson(b: Block): string {
  let s = jsonCache.get(b);
  if (s === undefined) jsonCache.set(b, (s = JSON.stringify(b)));
  return s;
}

/** Splits a run so each request's blocks stay under BUS_BATCH_BYTES (real blocks are ~300 B; junk may be KBs). */
function chunks(blocks: Block[]): Block[][] {
  const out: Block[][] = [];
  let cur: Block[] = [];
  let bytes = 0;
  for (const b of blocks) {
    const n = blockJson(b).length + 1;
    if (cur.length > 0 && bytes + n > BUS_BATCH_BYTES) {
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
    const body = `${prefix}${prefix.length > 1 ? ',' : ''}"blocks":[${blocks.map(blockJson).join(',')}]}`;
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
    send(requests: Assignment[]) {
      sendMessages(requests.map((r) => ({ to: r.to, msg: { type: 'GET_BLOCK', height: r.height } })));
    },
    async validate(prevHash: string | null, firstHeight: number, blocks: Block[]) {
      const end = m.validateSeconds.startTimer();
      // Chunks go out together; each links to the (claimed) hash of the block before it.
      let prev = prevHash;
      let height = firstHeight;
      const parts = chunks(blocks).map((chunk) => {
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
      const end = m.appendSeconds.startTimer();
      let prev = expectPrevHash;
      let tip = null;
      for (const chunk of chunks(blocks)) {
        tip = (await callWithBlocks('store.append', { expectPrevHash: prev }, chunk)).tip;
        prev = chunk[chunk.length - 1]!.hash;
      }
      end();
      return tip!;
    },
    async stage(blocks: Block[]) {
      const end = m.appendSeconds.startTimer();
      for (const chunk of chunks(blocks)) await callWithBlocks('store.stage', {}, chunk);
      end();
    },
    async clearStage() {
      await bus.call('store.stage.clear', {}, BUS_TIMEOUT_MS);
    },
    async reorg(fromHeight: number, tipHash: string) {
      return (await bus.call('store.reorg', { fromHeight, tipHash }, BUS_TIMEOUT_MS)).tip;
    },
    async ourHash(height: number) {
      return (await bus.call('store.get', { height }, BUS_TIMEOUT_MS)).block?.hash ?? null;
    },
    async peers() {
      const r = await bus.call('peers.list', {}, BUS_TIMEOUT_MS);
      return r.peers.map((p) => ({ host: p.host, port: p.port }));
    },
    async tip() {
      return (await bus.call('store.tip', {}, BUS_TIMEOUT_MS)).tip;
    },
  };
}
