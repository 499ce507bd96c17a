import { fileURLToPath } from 'node:url';
import type { StartOptions } from './start-options.js';
import { spawnNode, type StartChild } from './start-process.js';

/** The devnet CLI beside this app in the monorepo (apps/devnet/dist/main.js). */
const DEVNET_MAIN = fileURLToPath(new URL('../../devnet/dist/main.js', import.meta.url));
/** Generating a few thousand blocks is CPU-bound; on a busy 2-core machine it can take a minute. */
const DEVNET_READY_TIMEOUT_MS = 180_000;

export class DevnetError extends Error {
  readonly code = 'devnet_failed';
}

/**
 * Runs the devnet of mining peers as a child process (its miner threads then never slow the
 * progress view), logging to `logFile`. Resolves with the chain length once every peer listens.
 */
export async function startDevnetProcess(
  o: StartOptions,
  logFile: string,
): Promise<{ child: StartChild; height: number }> {
  let ready: (height: number) => void = () => undefined;
  const up = new Promise<number>((r) => (ready = r));
  const child = spawnNode(
    'devnet',
    DEVNET_MAIN,
    [
      ...['--peers', String(o.devnetPeers), '--base-port', String(o.devnetBasePort)],
      ...['--blocks', String(o.devnetBlocks), '--difficulty', String(o.difficulty)],
      ...['--mine-interval', String(o.devnetMineIntervalS), '--bootstrap', `127.0.0.1:${o.udpPort}`],
    ],
    { LOG_LEVEL: o.logLevel },
    logFile,
    {
      watchesLifeline: false,
      onLine: (line) => {
        if (!line.includes('"devnet up"')) return;
        try {
          ready(Number((JSON.parse(line) as { height?: unknown }).height) || o.devnetBlocks);
        } catch {
          ready(o.devnetBlocks);
        }
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const height = await Promise.race([
      up,
      child.exited.then((code) => {
        throw new DevnetError(`the devnet exited (${code}) before it was up:\n${child.recent()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DevnetError(`the devnet was not up after ${DEVNET_READY_TIMEOUT_MS / 1000} s`)),
          DEVNET_READY_TIMEOUT_MS,
        );
      }),
    ]);
    return { child, height };
  } catch (err) {
    await child.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
