import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { failingChecks, probe } from './health-probe.js';

describe('failingChecks', () => {
  it('reads the failing list defensively', () => {
    expect(failingChecks({ ready: false, failing: ['nats', 3, 'started'] })).toEqual(['nats', 'started']);
    expect(failingChecks(null)).toEqual([]);
    expect(failingChecks({ failing: 'nats' })).toEqual([]);
  });
});

describe('probe', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('{"ready":true,"failing":[]}');
      else if (req.url === '/down') res.writeHead(503).end('{"ready":false,"failing":["nats"]}');
      // '/hang' never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reports ready, a 503 with its failing checks, a timeout and an unreachable service', async () => {
    const at = (path: string) => ({ name: 's', url: `http://127.0.0.1:${port}${path}` });
    expect(await probe(at('/ok'))).toMatchObject({ ready: true, status: 200, error: null });
    expect(await probe(at('/down'))).toMatchObject({ ready: false, status: 503, failing: ['nats'] });
    expect(await probe(at('/hang'), 200)).toMatchObject({ ready: false, status: null, error: 'timeout' });
    expect(await probe({ name: 's', url: 'http://127.0.0.1:1/readyz' })).toMatchObject({
      ready: false,
      error: 'unreachable',
    });
  });
});
