import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  ok: () => boolean;
}

/**
 * The operations endpoints every service has: `/healthz` (the process is alive), `/readyz`
 * (every readiness check passes, NATS connected among them; 503 otherwise) and `/metrics`.
 */
export async function startOpsServer(opts: {
  host: string;
  port: number;
  log: Logger;
  metrics: Metrics;
  checks: ReadinessCheck[];
  /** Extra routes (the api's), registered before the server listens, as fastify requires. */
  routes?: (app: FastifyInstance) => Promise<void> | void;
}): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'ops' }) as FastifyBaseLogger,
    // Scrapes and probes every few seconds would drown the service's own lines.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const failing = opts.checks.filter((c) => !c.ok()).map((c) => c.name);
    reply.code(failing.length === 0 ? 200 : 503);
    return { ready: failing.length === 0, failing };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  await opts.routes?.(app);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { app, port };
}
