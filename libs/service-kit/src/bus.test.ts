import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNatsServer, waitFor, type NatsServerHandle } from '@chainsync/testing';
import { BusError, connectBus, type Bus } from './bus.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';

let nats: NatsServerHandle;
let client: Bus;
let server: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  const connectAs = (name: string) =>
    connectBus({
      url: nats.url,
      prefix: 'kitbus',
      name,
      log: createLogger(name, 'test', 'silent'),
      metrics: new Metrics(name, 'test'),
    });
  [client, server] = await Promise.all([connectAs('client'), connectAs('server')]);
});
afterAll(async () => {
  await client?.drain().catch(() => undefined);
  await server?.drain().catch(() => undefined);
  await nats?.stop();
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
