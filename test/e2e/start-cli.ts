import { execFileSync } from 'node:child_process';
import { freePort, freeUdpPortRange, startApp, waitFor, type ServiceProcess } from '@chainsync/testing';

/** `npm start` (apps/node/dist/main.js start) on free ports with a small, fast devnet, for e2e tests. */
export interface StartCli {
  proc: ServiceProcess;
  apiUrl: string;
  output(): string;
  /** Resolves with the first match of `re` in the output (after `from` characters). */
  waitForOutput(re: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Every live process below the CLI (nats-server, services, devnet). */
  descendants(): number[];
  /** Signals the CLI (SIGINT = Ctrl-C) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export const DEVNET_PEERS = 3;

export async function startCli(dataDir: string, extraArgs: string[] = []): Promise<StartCli> {
  const httpPort = await freePort();
  const udpBase = await freeUdpPortRange(1 + DEVNET_PEERS);
  const proc = startApp('node', { LOG_LEVEL: 'info' }, [
    'start',
    ...['--data-dir', dataDir, '--http-port', String(httpPort)],
    ...['--udp-port', String(udpBase), '--devnet-base-port', String(udpBase + 1)],
    // Difficulty 2 generates a few hundred blocks in well under a second; a block every second.
    ...['--difficulty', '2', '--devnet-blocks', '400', '--devnet-mine-interval', '1'],
    ...extraArgs,
  ]);
  return {
    proc,
    apiUrl: `http://127.0.0.1:${httpPort}`,
    output: () => proc.output(),
    waitForOutput: (re, timeoutMs, from = 0) =>
      waitFor(
        () => {
          if (proc.proc.exitCode !== null) throw new Error(`npm start exited:\n${proc.output()}`);
          return proc.output().slice(from).match(re) ?? undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${re} in npm start's output` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- output ---\n${proc.output()}`);
      }),
    descendants: () => descendantsOf(proc.proc.pid!),
    stop: (signal = 'SIGINT') => proc.kill(signal),
  };
}

/** Live descendants of `pid`, from `ps` (Linux). */
export function descendantsOf(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of rows) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
