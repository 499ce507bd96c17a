import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_BUS_PAYLOAD_BYTES } from '@chainsync/protocol';
import { startNatsServer, waitFor, type NatsServerHandle } from '@chainsync/testing';
import { BusError, connectBus, type Bus } from './bus.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';

let nats: NatsServerHandle;
let client: Bus;
let server: Bus;
const registries: Record<string, Metrics> = {};
const refused = async (bus: string, subject: string) =>
  (
    await registries[bus]!.registry.getSingleMetric(`chainsync_${bus}_bus_payloads_refused_total`)?.get()
  )?.values
    .filter((v) => v.labels.subject === subject)
    .reduce((n, v) => n + v.value, 0) ?? 0;

beforeAll(async () => {
  nats = await startNatsServer();
  const connectAs = (name: string) =>
    connectBus({
      url: nats.url,
      prefix: 'kitbus',
      name,
      log: createLogger(name, 'test', 'silent'),
      metrics: (registries[name] = new Metrics(name, 'test')),
    });
  [client, server] = await Promise.all([connectAs('client'), connectAs('server')]);
});
afterAll(async () => {
  await client?.drain().catch(() => undefined);
  await server?.drain().catch(() => undefined);
  await nats?.stop();
});

it('refuses an event over the payload cap without throwing, and counts it; smaller ones still go', async () => {
  const got: number[] = [];
  server.on('store.committed', (tip) => got.push(tip.height));
  await server.flush();
  const huge = { height: 1, hash: 'x'.repeat(MAX_BUS_PAYLOAD_BYTES) };
  expect(client.publish('store.committed', huge)).toBe(false);
  expect(client.publishEncoded('store.committed', new Uint8Array(MAX_BUS_PAYLOAD_BYTES + 1))).toBe(false);
  expect(await refused('client', 'store.committed')).toBe(2);
  expect(client.publish('store.committed', { height: 2, hash: null })).toBe(true);
  await waitFor(() => got.length > 0, { what: 'the small event' });
  expect(got).toEqual([2]);
});

it('answers a request whose reply would pass the cap with an error reply, counted', async () => {
  server.serve('store.get', () => ({
    ok: true,
    block: {
      height: 0,
      hash: 'x'.repeat(MAX_BUS_PAYLOAD_BYTES),
      minedBy: '',
      messages: [],
      nonce: '',
      timestamp: 0,
    },
  }));
  await server.flush();
  const reply = await client.request('store.get', { height: 0 });
  expect(reply).toMatchObject({ ok: false, code: 'payload_too_large' });
  expect(await refused('server', 'store.get')).toBe(1);
});

it('fails a request in flight at once when the connection drops, and reports the reconnect', async () => {
  // A store that never answers: only the lost connection can end the request before its timeout.
  server.serve('store.tip', () => new Promise(() => undefined));
  await server.flush();
  let reconnects = 0;
  client.onReconnect(() => reconnects++);

  const started = Date.now();
  const outcome = client.request('store.tip', {}, 30_000).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  await nats.stop();
  const err = await outcome;
  expect(err).toBeInstanceOf(BusError);
  expect((err as BusError).code).toBe('disconnected');
  expect(Date.now() - started).toBeLessThan(10_000);

  await nats.start();
  await waitFor(() => reconnects > 0 && client.connected, { timeoutMs: 15_000, what: 'the reconnect' });
});
