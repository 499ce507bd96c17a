import closeWithGrace from 'close-with-grace';
import type { Static, TObject, TProperties } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { connectBus, type Bus } from './bus.js';
import { BusAuthError, busAuthFromEnv } from './bus-auth.js';
import { ConfigError, readConfig, serviceConfigSchema, type CommonConfig } from './config.js';
import { ORPHAN_EXIT_MS, watchLifeline } from './lifeline.js';
import { createLogger, RateLimitedLog, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { startOpsServer, type ReadinessCheck } from './ops-server.js';
import { chainsyncVersion, instanceMetadata, startServiceApi } from './service-api.js';

export interface ServiceContext<C> {
  config: C & CommonConfig;
  log: Logger;
  /** For warnings about bad input: rate-limited per code. */
  warnings: RateLimitedLog;
  bus: Bus;
  metrics: Metrics;
  /** Adds a readiness condition; `/readyz` is 503 until all of them hold. */
  addReadiness(name: string, ok: () => boolean): void;
  /** Registers a cleanup step; they run in reverse order on shutdown, before NATS drains. */
  onClose(fn: () => Promise<void> | void): void;
}

export interface ServiceDefinition<P extends TProperties> {
  name: string;
  /** The service's own env vars (common ones are added). */
  config: TObject<P>;
  defaultOpsPort: number;
  start(ctx: ServiceContext<Static<TObject<P>>>): Promise<void>;
  /**
   * Extra HTTP routes on the ops server (the api serves its endpoints there). They are
   * registered before NATS connects, so handlers must cope with `start` not having run yet.
   */
  routes?: (
    app: FastifyInstance,
    ctx: Pick<ServiceContext<Static<TObject<P>>>, 'config' | 'log' | 'metrics'>,
  ) => Promise<void> | void;
}

/**
 * Runs a service: config (exit 2 on a bad value), logger, ops server, NATS with reconnect, the
 * service's own start, and a graceful stop on SIGTERM/SIGINT that runs cleanups then drains NATS.
 * Started by the launcher, it also stops when the launcher is gone (lifeline.ts), within
 * ORPHAN_EXIT_MS, so no orphan keeps the UDP port or the chain database.
 */
export async function runService<P extends TProperties>(def: ServiceDefinition<P>): Promise<void> {
  let config: Static<TObject<P>> & CommonConfig;
  try {
    config = readConfig(
      serviceConfigSchema(def.config, def.defaultOpsPort),
      process.env,
    ) as unknown as typeof config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(def.name, config.NODE_NAME, config.LOG_LEVEL as never);
  // The runtime a service really runs on (the project pins one; a container or a stray PATH may
  // bring another), on the first line of every service's log. `node` is taken: it is the node's name.
  log.info({ nodeVersion: process.version, pid: process.pid }, 'starting');
  const metrics = new Metrics(def.name, config.NODE_NAME);
  const closers: (() => Promise<void> | void)[] = [];
  const checks: ReadinessCheck[] = [];
  // Filled once NATS connects; the shutdown hook may run before that.
  const conn: { bus?: Bus } = {};
  let started = false;
  checks.push({ name: 'nats', ok: () => conn.bus?.connected ?? false });
  checks.push({ name: 'started', ok: () => started });

  // The bus connection is opened while the ops server starts: each waits on I/O the other need not.
  const auth = busAuthFromEnv(config as unknown as Record<string, string | undefined>);
  const connecting = connectBus({
    url: config.NATS_URL,
    prefix: config.NODE_PREFIX,
    name: def.name,
    auth,
    log,
    metrics,
  }).catch((err: unknown) => {
    if (!(err instanceof BusAuthError)) throw err;
    process.stderr.write(`${def.name}: ${err.message}\n`);
    process.exit(2);
  });
  connecting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    log,
    metrics,
    checks,
    routes: def.routes && ((app) => def.routes?.(app, { config, log, metrics })),
  });
  log.info({ opsPort: ops.port }, 'ops server listening');

  const shutdown = closeWithGrace(
    { delay: 10_000, logger: { error: (m: unknown) => log.error(m) } },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'fatal error, shutting down');
      else log.info({ signal }, 'shutting down');
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch (e) {
          log.error({ err: e }, 'cleanup failed');
        }
      }
      await conn.bus?.drain().catch(() => undefined);
      await ops.app.close();
    },
  );
  watchLifeline(process.env, () => {
    log.warn({ graceMs: ORPHAN_EXIT_MS }, 'launcher gone (lifeline closed): shutting down');
    setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
    void shutdown.close();
  });

  const bus = (conn.bus = await connecting);
  log.info(
    {
      nats: config.NATS_URL.replace(/\/\/[^@/,]*@/g, '//***@'),
      prefix: config.NODE_PREFIX,
      auth: auth.nkeyFile ? 'nkey' : auth.credsFile ? 'creds' : 'none',
      tls: auth.tls !== undefined,
    },
    'connected to NATS',
  );
  await def.start({
    config,
    log,
    warnings: new RateLimitedLog(log),
    bus,
    metrics,
    addReadiness: (name, ok) => checks.push({ name, ok }),
    onClose: (fn) => closers.push(fn),
  });
  // Ready only once the server has registered our subscriptions, so a request right after
  // /readyz turns 200 never meets "no responders".
  // Discoverable on the bus once it serves: `nats micro ls`, and the api's list of instances.
  const api = startServiceApi(
    bus.nc,
    {
      name: def.name,
      version: chainsyncVersion(),
      description: `chainsync ${def.name}`,
      metadata: instanceMetadata({
        node: config.NODE_NAME,
        prefix: config.NODE_PREFIX,
        opsHost: config.OPS_HOST,
        opsPort: ops.port,
      }),
    },
    () => bus.endpoints.snapshot(),
  );
  closers.push(() => api.stop()); // runs first: no longer listed while it stops
  await bus.flush();
  started = true;
  log.info({ instanceId: api.id }, 'ready');
}
