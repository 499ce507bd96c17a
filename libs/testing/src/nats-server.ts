import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tcpOpen } from '@chainsync/service-kit';
import { freePort, waitFor } from './ports.js';

/** Path of the nats-server binary, or a clear error telling how to get it. */
export function natsServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    throw new Error(
      'nats-server is not installed: tests need a real NATS server. Install it with `apt-get install -y nats-server` (`.ci/run` and `npm test` do this for you).',
    );
  }
  return found;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  /** Process id of the running server (for CPU accounting in benchmarks), undefined when stopped. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/**
 * A real nats-server on a free loopback port, for one test file; `configFile` gives it a
 * configuration (authorization, TLS, a cluster), `args` more flags (both before the port flags,
 * which win).
 */
export async function startNatsServer(
  opts: { port?: number; configFile?: string; args?: string[] } = {},
): Promise<NatsServerHandle> {
  const bin = natsServerBinary();
  const port = opts.port ?? (await freePort());
  let proc: ChildProcess | undefined;
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return proc?.exitCode === null ? proc.pid : undefined;
    },
    async start() {
      // One Go thread, as the node launcher runs its private server (see natsGoMaxProcs there):
      // the default spins idle threads that take CPU from the services under test.
      const config = opts.configFile ? ['-c', opts.configFile] : [];
      proc = spawn(bin, [...config, ...(opts.args ?? []), '-a', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
        env: { ...process.env, GOMAXPROCS: process.env.GOMAXPROCS ?? '1' },
      });
      await waitFor(() => tcpOpen(port), { timeoutMs: 10_000, what: `nats-server on ${port}` });
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(t);
    },
  };
  await handle.start();
  return handle;
}
