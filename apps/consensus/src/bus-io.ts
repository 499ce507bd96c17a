import type { Block, Message, PeerAddr } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import type { ConsensusIo } from './consensus.js';
import { BUS_TIMEOUT_MS } from './limits.js';
import type { ConsensusMetrics } from './metrics.js';
import type { Assignment } from './scheduler.js';

/** Datagrams per net.out message: ~70 B each as JSON, so a full one stays far below the bus cap. */
const NET_OUT_CHUNK = 4096;

/** The coordinator's I/O over the bus: thin, no decisions. */
export function busIo(bus: Bus, m: ConsensusMetrics, difficulty: number): ConsensusIo {
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
      const r = await bus.call('validate', { difficulty, prevHash, firstHeight, blocks }, BUS_TIMEOUT_MS);
      end();
      return r.verdicts;
    },
    async append(expectPrevHash: string | null, blocks: Block[]) {
      const end = m.appendSeconds.startTimer();
      const r = await bus.call('store.append', { expectPrevHash, blocks }, BUS_TIMEOUT_MS);
      end();
      return r.tip;
    },
    async stage(blocks: Block[]) {
      const end = m.appendSeconds.startTimer();
      await bus.call('store.stage', { blocks }, BUS_TIMEOUT_MS);
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
