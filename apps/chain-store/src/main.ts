import { Type } from '@sinclair/typebox';
import { QueueGroups, type Block } from '@chainsync/protocol';
import { errorReply, runService } from '@chainsync/service-kit';
import { answerGetBlocks, getBlockBatchError, isGetBlockBatch } from './get-block.js';
import { MAX_RANGE_REPLY_BYTES } from './limits.js';
import { ChainStore } from './store.js';

/**
 * chain-store — the only writer of the chain. LMDB under DATA_DIR; serves store.* requests in the
 * `chain-store` queue group, publishes `store.committed` after every commit, and answers peers'
 * GET_BLOCK from `net.in.GET_BLOCK` with batched `net.out` replies (never above the tip, so never
 * a staged block).
 *
 * store.reorg deviates from DESIGN.md's `{fromHeight, blocks}`: a sync's target can exceed one
 * NATS message, so it is first written with store.stage and then switched to with
 * `{fromHeight, topHeight, tipHash}` (subjects.ts) — one transaction, O(reorg depth).
 */
await runService({
  name: 'chain-store',
  config: Type.Object({
    DATA_DIR: Type.String({ default: './.data/chain-store', minLength: 1 }),
    LMDB_MAP_SIZE: Type.Optional(Type.Integer({ minimum: 1 << 20 })),
  }),
  defaultOpsPort: 9104,
  async start({ config, bus, metrics, log, warnings, addReadiness, onClose }) {
    const store = ChainStore.open({ path: config.DATA_DIR, mapSize: config.LMDB_MAP_SIZE });
    let open = true;
    addReadiness('store', () => open);
    onClose(async () => {
      open = false;
      await store.close();
    });
    log.info({ dataDir: config.DATA_DIR, tip: store.tip() }, 'store open');

    const height = metrics.gauge('height', 'Height (top index) of the stored chain; -1 when empty');
    const appended = metrics.counter('blocks_appended_total', 'Blocks appended to the chain');
    const reorgs = metrics.counter('reorgs_total', 'Switches that replaced main-chain blocks');
    const switches = metrics.counter('switches_total', 'store.reorg switches committed, by kind', ['kind']);
    const staged = metrics.gauge('staged_blocks', 'Blocks staged: above the tip plus the staging area');
    const replaced = metrics.counter('blocks_replaced_total', 'Main-chain blocks replaced by reorgs');
    const refused = metrics.counter('writes_refused_total', 'Writes refused, by operation and code', [
      'op',
      'code',
    ]);
    const served = metrics.counter('get_block_replies_total', 'GET_BLOCK replies sent, by result', [
      'result',
    ]);
    const badPayloads = metrics.counter('bad_payloads_total', 'Malformed bus payloads dropped', ['subject']);
    const serveSeconds = metrics.histogram(
      'get_block_batch_duration_seconds',
      'Time to answer one GET_BLOCK batch',
    );
    height.set(store.tip().height);
    staged.set(store.stagedCount());

    const committed = (tip: { height: number; hash: string | null }, replacedFrom?: number) => {
      height.set(tip.height);
      bus.publish('store.committed', replacedFrom === undefined ? tip : { ...tip, replacedFrom });
    };
    /** After any write: LMDB's own counts, O(1), so the gauge never scans. */
    const countStaged = () => staged.set(store.stagedCount());
    const refusal = (op: string, r: { code: string; message: string }) => {
      refused.inc({ op, code: r.code });
      warnings.warn(`${op}_${r.code}`, { op }, r.message);
      return errorReply(r.code, r.message);
    };
    const jsonBytes = (b: Block) => Buffer.byteLength(JSON.stringify(b));

    const opts = { queue: QueueGroups.store };
    bus.serve('store.tip', () => ({ ok: true, tip: store.tip() }), opts);
    bus.serve('store.get', (req) => ({ ok: true, block: store.get(req.height) }), opts);
    bus.serve(
      'store.range',
      (req) => ({ ok: true, blocks: store.range(req.from, req.count, MAX_RANGE_REPLY_BYTES, jsonBytes) }),
      opts,
    );
    bus.serve(
      'store.staged',
      (req) => ({ ok: true, hashes: store.staged(req.from, req.count, MAX_RANGE_REPLY_BYTES) }),
      opts,
    );
    bus.serve(
      'store.append',
      async (req) => {
        const r = await store.append(req.expectPrevHash, req.blocks);
        if (!r.ok) return refusal('append', r);
        if (req.blocks.length > 0) {
          appended.inc(req.blocks.length);
          committed(r.tip);
          countStaged();
        }
        return r;
      },
      opts,
    );
    bus.serve(
      'store.stage',
      async (req) => {
        const r = await store.stage(req.blocks);
        countStaged();
        return { ok: true, ...r };
      },
      opts,
    );
    bus.serve(
      'store.stage.clear',
      async () => {
        const r = await store.clearStaged();
        countStaged();
        return { ok: true, ...r };
      },
      opts,
    );
    bus.serve(
      'store.reorg',
      async (req) => {
        const r = await store.reorg(req);
        if (!r.ok) return refusal('reorg', r);
        switches.inc({ kind: r.replaced > 0 ? 'reorg' : 'extend' });
        if (r.replaced > 0) reorgs.inc();
        replaced.inc(r.replaced);
        log.info({ fromHeight: req.fromHeight, tip: r.tip, replaced: r.replaced }, 'switch committed');
        committed(r.tip, r.replaced > 0 ? req.fromHeight : undefined);
        countStaged();
        return r;
      },
      opts,
    );

    bus.onNetIn(
      'GET_BLOCK',
      (payload) => {
        if (!isGetBlockBatch(payload)) {
          badPayloads.inc({ subject: 'net.in.GET_BLOCK' });
          warnings.warn(
            'bad_get_block_batch',
            { reason: getBlockBatchError(payload) },
            'malformed GET_BLOCK batch',
          );
          return;
        }
        if (!open) return;
        const end = serveSeconds.startTimer();
        const tip = store.tip(); // one view for the batch
        const answers = answerGetBlocks(payload, (h) => store.get(h, tip));
        for (const out of answers.out) bus.publish('net.out', out);
        served.inc({ result: 'block' }, answers.found);
        served.inc({ result: 'null' }, answers.missing);
        end();
      },
      opts,
    );
    // Ready only once the server has our subscriptions, so a request right after /readyz finds us.
    await bus.flush();
  },
});
