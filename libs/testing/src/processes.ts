import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_ARGS, serviceEntry, serviceEnv } from '@chainsync/service-kit';
import { freePort, waitFor } from './ports.js';

/** The repository root (this file is libs/testing/{src,dist}/processes.*). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServiceProcess {
  name: string;
  proc: ChildProcess;
  /** Everything the process printed (stdout + stderr), for assertions and failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts the app's built entry (`serviceEntry`: its bundle, or `dist/main.js`) with the given env.
 * Output is kept in memory (bounded) for debugging failing tests.
 */
export function startApp(app: string, env: Record<string, string>, args: string[] = []): ServiceProcess {
  const main = serviceEntry(repoRoot, app);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
  // e.g. APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles every service a test or bench starts.
  const nodeArgs = process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return startProcess(app, process.execPath, [...SERVICE_NODE_ARGS, ...nodeArgs, main, ...args], {
    ...serviceEnv(),
    ...env,
  });
}

export function startProcess(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: 'pipe' | 'ignore' } = {},
): ServiceProcess {
  const proc = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
    if (process.env.TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  return {
    name,
    proc,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/** Polls `http://127.0.0.1:<port>/readyz` until it answers 200. */
export async function waitReady(opsPort: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200,
    { timeoutMs, what: `readyz on ${opsPort}` },
  );
}

export interface StartedService {
  proc: ServiceProcess;
  opsPort: number;
}

/**
 * Starts a node service (`apps/<app>`) on a free ops port against `natsUrl` under `prefix`, and
 * resolves once its /readyz answers 200; a service that never gets ready fails with its output.
 */
export async function startService(
  app: string,
  natsUrl: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<StartedService> {
  const opsPort = await freePort();
  const proc = startApp(app, {
    NATS_URL: natsUrl,
    NODE_PREFIX: prefix,
    OPS_PORT: String(opsPort),
    LOG_LEVEL: 'warn',
    ...env,
  });
  try {
    await waitReady(opsPort);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw new Error(`${app} did not become ready: ${String(err)}\n${proc.output()}`);
  }
  return { proc, opsPort };
}

/** Peak resident memory of a process in MB (VmHWM of /proc), 0 when it is gone. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
