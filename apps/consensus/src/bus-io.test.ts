import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BUS_PAYLOAD_BYTES, validateRun, type Block, type RequestOf } from '@chainsync/protocol';
import { connectBus, createLogger, Metrics, type Bus } from '@chainsync/service-kit';
import { startNatsServer, type NatsServerHandle } from '@chainsync/testing';
import { busIo, chunkBlocks } from './bus-io.js';
import { consensusMetrics } from './metrics.js';
import { mineChain, TEST_DIFFICULTY } from './testing/chain.js';

/** The bus adapter against a real nats-server, with stand-in validator and store endpoints. */
let nats: NatsServerHandle;
let bus: Bus;
const seen: { validate: RequestOf<'validate'>[]; append: RequestOf<'store.append'>[] } = {
  validate: [],
  append: [],
};

beforeAll(async () => {
  nats = await startNatsServer();
  const log = createLogger('consensus', 'test', 'silent');
  const metrics = new Metrics('consensus', 'test');
  bus = await connectBus({ url: nats.url, prefix: 'busio', name: 'test', log, metrics });
  bus.serve('validate', (req) => {
    seen.validate.push(req);
    return { ok: true, verdicts: validateRun(req.blocks, req.prevHash, req.firstHeight, req.difficulty) };
  });
  bus.serve('store.append', (req) => {
    seen.append.push(req);
    const last = req.blocks[req.blocks.length - 1]!;
    return { ok: true, tip: { height: last.height, hash: last.hash } };
  });
});

afterAll(async () => {
  await bus?.drain();
  await nats?.stop();
});

describe('busIo', () => {
  it('sends validate and append with the blocks as given, and returns verdicts and tip', async () => {
    const io = busIo(bus, consensusMetrics(new Metrics('consensus', 't1')), TEST_DIFFICULTY);
    const chain = mineChain(50);
    const verdicts = await io.validate(null, 0, chain);
    expect(verdicts).toHaveLength(50);
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(seen.validate.at(-1)).toMatchObject({
      difficulty: TEST_DIFFICULTY,
      prevHash: null,
      firstHeight: 0,
    });
    expect(seen.validate.at(-1)!.blocks).toEqual(chain);
    expect(await io.append(null, chain)).toEqual({ height: 49, hash: chain[49]!.hash });
  });

  it('splits runs of oversized blocks so no request exceeds the bus cap, keeping the linkage', async () => {
    const io = busIo(bus, consensusMetrics(new Metrics('consensus', 't2')), TEST_DIFFICULTY);
    // Junk a hostile peer could send: schema-valid, ~15 KB each, far over the bus cap in one batch.
    const junk: Block[] = mineChain(200).map((b) => ({
      ...b,
      messages: Array.from({ length: 64 }, () => '☃'.repeat(80)),
    }));
    seen.validate.length = 0;
    seen.append.length = 0;
    const verdicts = await io.validate(null, 0, junk);
    expect(verdicts).toHaveLength(200);
    expect(seen.validate.length).toBeGreaterThan(1);
    for (let i = 1; i < seen.validate.length; i++) {
      const prev = seen.validate[i - 1]!;
      expect(seen.validate[i]!.prevHash).toBe((prev.blocks.at(-1) as Block).hash);
      expect(seen.validate[i]!.firstHeight).toBe(prev.firstHeight + prev.blocks.length);
    }
    await io.append(null, junk);
    expect(seen.append.length).toBeGreaterThan(1);
    expect(seen.append[1]!.expectPrevHash).toBe(seen.append[0]!.blocks.at(-1)!.hash);
  });

  it('sizes requests by encoded bytes: blocks of 3-byte characters never make a request over the bus cap', async () => {
    const io = busIo(bus, consensusMetrics(new Metrics('consensus', 't3')), TEST_DIFFICULTY);
    // '€' is one UTF-16 unit and three UTF-8 bytes: measured in characters these chunks would be 3× too big.
    const wide: Block[] = mineChain(250).map((b) => ({
      ...b,
      minedBy: '€'.repeat(256),
      messages: Array.from({ length: 60 }, () => '€'.repeat(80)),
    }));
    for (const chunk of chunkBlocks(wide)) {
      const bytes = chunk.reduce((n, b) => n + Buffer.byteLength(JSON.stringify(b)) + 1, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_BUS_PAYLOAD_BYTES / 1.5);
    }
    seen.validate.length = 0;
    const verdicts = await io.validate(null, 0, wide);
    expect(verdicts).toHaveLength(250);
    for (const req of seen.validate)
      expect(Buffer.byteLength(JSON.stringify(req))).toBeLessThan(MAX_BUS_PAYLOAD_BYTES);
  });
});
