import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Block, ConsensusStatus } from '@chainsync/protocol';
import { connectBus, createLogger, Metrics, type Bus } from '@chainsync/service-kit';
import { startNatsServer, type NatsServerHandle } from '@chainsync/testing';
import { registerDashboard } from './dashboard.js';
import { HealthProbe } from './health-probe.js';
import { NodeView } from './node-view.js';
import { registerApiRoutes } from './routes.js';

const hash = (n: number) => n.toString(16).padStart(64, '0');
const chain: Block[] = Array.from({ length: 25 }, (_, h) => ({
  height: h,
  hash: hash(h + 1),
  minedBy: 'tester',
  messages: [`block ${h}`],
  nonce: '1',
  timestamp: 1_700_000_000 + h,
}));
const status: ConsensusStatus = {
  phase: 'synced',
  tip: { height: 24, hash: hash(25) },
  target: { height: 24, hash: hash(25) },
  progress: null,
  sources: [{ host: '127.0.0.1', port: 9001, score: 3, inFlight: 0, received: 25, banned: false }],
  blocksPerSecond: 0,
  etaSeconds: null,
  roundsCompleted: 2,
  lastRoundAt: 1,
};

/** Real NATS; the node's services are stood in for by small responders on the bus. */
describe('api routes over a real nats-server', () => {
  let nats: NatsServerHandle;
  let services: Bus;
  let apiBus: Bus;
  let app: FastifyInstance;
  let view: NodeView;

  beforeAll(async () => {
    nats = await startNatsServer();
    const log = createLogger('test', 'n', 'silent');
    const connect = (name: string) =>
      connectBus({ url: nats.url, prefix: 't', name, log, metrics: new Metrics(name, 'n') });
    services = await connect('fake');
    services.serve('consensus.status', () => ({ ok: true, status }));
    services.serve('peers.list', () => ({
      ok: true,
      self: { host: '127.0.0.1', port: 8999, name: 'me' },
      peers: [
        { host: '127.0.0.1', port: 9001, name: 'a', lastSeen: Date.now(), firstSeen: 0, bootstrap: true },
      ],
      truncated: 0,
    }));
    services.serve('consensus.network', () => ({
      ok: true,
      network: {
        tip: status.tip,
        peers: [
          {
            host: '127.0.0.1',
            port: 9001,
            claim: { height: 25, hash: hash(25), at: Date.now() },
            convention: 'length',
            chain: 'same',
            served: { blocks: 25, blocksPerSecond: 12.5, timeouts: 0, at: Date.now() },
            score: 3,
            faults: 0,
            banned: false,
          },
        ],
      },
    }));
    services.serve('store.tip', () => ({ ok: true, tip: status.tip }));
    services.serve('store.get', ({ height }) => ({ ok: true, block: chain[height] ?? null }));
    services.serve('store.range', ({ from, count }) => ({
      ok: true,
      blocks: chain.slice(from, from + count),
    }));
    await services.flush();

    apiBus = await connect('api');
    view = new NodeView('node-1', new HealthProbe([]), new Metrics('api', 'n'));
    view.bus = apiBus;
    app = Fastify();
    registerApiRoutes(app, view);
    registerDashboard(app);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await apiBus?.drain();
    await services?.drain();
    await nats?.stop();
  });

  it('GET /status reports the node', async () => {
    const res = await app.inject('/status');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'node-1',
      height: 24,
      tipHash: hash(25),
      phase: 'synced',
      peers: 1,
      sources: 1,
      errors: [],
    });
  });

  it('GET /peers joins scores', async () => {
    const res = await app.inject('/peers');
    expect(res.json()).toMatchObject({
      self: { port: 8999 },
      peers: [{ port: 9001, score: 3, bootstrap: true, lastSeenAgeSeconds: 0 }],
    });
  });

  it('GET /network joins the peer table with the network map, groups the claims, keeps a series', async () => {
    const res = await app.inject('/network');
    expect(res.statusCode).toBe(200);
    const n = res.json();
    expect(n).toMatchObject({
      tip: { height: 24 },
      peers: [{ port: 9001, name: 'a', bootstrap: true, top: 24, chain: 'same', served: { blocks: 25 } }],
      groups: [{ top: 24, hash: hash(25), chain: 'same', peers: ['127.0.0.1:9001'] }],
      agreed: { top: 24, peers: 1 },
      tallest: 24,
      errors: [],
    });
    await view.sampleNetwork();
    expect((await app.inject('/network')).json().history).toMatchObject([
      { ours: 24, agreed: 24, tallest: 24 },
    ]);
    const page = await app.inject('/network.html');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('id="network-peers"');
    expect((await app.inject('/network.js')).body).toContain("getJson('/network')");
  });

  it('GET /blocks/:height: a block, 404 past the tip, 400 with a reason for a bad height', async () => {
    expect((await app.inject('/blocks/3')).json()).toEqual(chain[3]);
    const missing = await app.inject('/blocks/25');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found' });
    for (const bad of ['-1', 'abc', '1.5', '99999999999']) {
      const res = await app.inject(`/blocks/${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().message, bad).toMatch(/height/);
    }
  });

  it('GET /blocks lists the newest blocks first and validates limit', async () => {
    const res = await app.inject('/blocks?limit=3');
    expect(res.json().blocks.map((b: Block) => b.height)).toEqual([24, 23, 22]);
    expect((await app.inject('/blocks')).json().blocks).toHaveLength(10);
    expect((await app.inject('/blocks?limit=0')).statusCode).toBe(400);
    expect((await app.inject('/blocks?limit=1000')).statusCode).toBe(400);
  });

  it('serves the dashboard page and its script', async () => {
    const page = await app.inject('/');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('id="height"');
    expect((await app.inject('/dashboard.js')).body).toContain('/status');
    expect((await app.inject('/nope')).statusCode).toBe(404);
  });

  it('a dead service gives a partial status naming it, and 503 where nothing can answer', async () => {
    await services.drain();
    const s = (await app.inject('/status')).json();
    expect(s.phase).toBe('unknown');
    expect(s.errors.join()).toMatch(/consensus.status/);
    const res = await app.inject('/blocks/1');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'store_unavailable' });
  });
});
