import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_NODE_PREFIX } from '@chainsync/protocol';
import { launchNode, type NodeHandle } from './launcher.js';
import { LockHeldError, NodeLock } from './node-lock.js';
import { SERVICE_NODE_ARGS, busAuthEnv, waitReady } from '@chainsync/service-kit';
import { roleAuth } from './bus-credentials.js';
import { ProgressView } from './progress.js';
import { startDevnetProcess } from './start-devnet.js';
import { followLogs } from './start-logs.js';
import {
  devnetAddresses,
  parseStartOptions,
  START_USAGE,
  UsageError,
  type StartOptions,
} from './start-options.js';
import { busyPorts } from './start-ports.js';
import { spawnNode, type StartChild } from './start-process.js';
import { watchNode } from './start-watch.js';

/**
 * `npm start`: a devnet (unless --no-devnet), one node, its api, and a live view in the terminal
 * until Ctrl-C, which stops everything this command started.
 */
export async function main(args: string[]): Promise<void> {
  let o: StartOptions | null;
  try {
    o = parseStartOptions(args, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chainsync start: ${err.message}\n(npm start -- --help lists the options)\n`);
    process.exit(2);
  }
  if (o === null) {
    process.stdout.write(`${START_USAGE}\n`);
    return;
  }
  process.exitCode = await run(o);
}

const API_MAIN = fileURLToPath(new URL('../../api/dist/main.js', import.meta.url));
const API_READY_TIMEOUT_MS = 30_000;

/** The chain database (and its node.lock) inside `npm start`'s data dir. */
const chainDir = (o: StartOptions) => join(o.dataDir, 'chain');
const say = (text: string) => process.stdout.write(`${text}\n`);
const secondsSince = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

async function run(o: StartOptions): Promise<number> {
  const startedAt = Date.now();
  const logDir = join(o.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  try {
    NodeLock.check(chainDir(o));
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    process.stderr.write(`chainsync start: ${err.message}\n`);
    return 1;
  }
  const problem = checkDataDir(o);
  const busy = await busyPorts(o);
  if (problem || busy.length) {
    for (const p of [problem, ...busy]) if (p) process.stderr.write(`chainsync start: ${p}\n`);
    return 2;
  }

  // Ctrl-C: stop the view, then everything started, in reverse order, waiting for each to exit.
  const stopping = new AbortController();
  const onSignal = () => {
    if (stopping.signal.aborted) say('still stopping…');
    else stopping.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal closed: stop as gracefully as on Ctrl-C
  const cleanups: (() => Promise<void>)[] = [];
  const stopLogs = o.verbose ? followLogs(logDir, (t) => process.stderr.write(t)) : undefined;

  say(`chainsync: data in ${o.dataDir}, logs in ${logDir}, on Node.js ${process.version}`);
  let code = 0;
  try {
    if (o.devnet) {
      const t = Date.now();
      say(
        `devnet: ${o.devnetPeers} peers on 127.0.0.1:${o.devnetBasePort}+, ${o.devnetBlocks} blocks at difficulty ${o.difficulty} (generating…)`,
      );
      const devnet = await startDevnetProcess(o, join(logDir, 'devnet.log'));
      cleanups.push(() => devnet.child.stop());
      say(
        `devnet: up with ${devnet.height} blocks in ${secondsSince(t)}, mining a block every ${o.devnetMineIntervalS} s`,
      );
      watchUnexpectedExit(devnet.child, stopping.signal);
    }
    if (stopping.signal.aborted) return 0;

    const t = Date.now();
    const peers = [...(o.devnet ? devnetAddresses(o) : []), ...o.peers];
    say(
      `node: nats-server, chain-store, ${o.validators} validators, gossip on UDP ${o.udpHost}:${o.udpPort}, consensus`,
    );
    const node: NodeHandle = await launchNode({
      peers,
      udpPort: o.udpPort,
      udpHost: o.udpHost,
      advertiseHost: o.advertiseHost,
      difficulty: o.difficulty,
      dataDir: chainDir(o),
      name: o.name,
      validators: o.validators,
      prefix: DEFAULT_NODE_PREFIX,
      natsUrl: o.natsUrl,
      logDir,
      logLevel: o.logLevel,
    });
    cleanups.push(() => node.stop());
    if (stopping.signal.aborted) return 0;

    const api = await startApi(o, node, join(logDir, 'api.log'));
    cleanups.push(() => api.stop());
    watchUnexpectedExit(api, stopping.signal);
    say(`node: ready in ${secondsSince(t)}`);
    const apiUrl = `http://127.0.0.1:${o.httpPort}`;
    say(`dashboard: ${apiUrl}/   (status: ${apiUrl}/status, metrics: ${apiUrl}/metrics)`);
    say('Ctrl-C stops everything.');

    await watchNode({
      apiUrl,
      view: new ProgressView(process.stdout, process.stdout.isTTY === true && !o.verbose),
      signal: stopping.signal,
      startedAt,
    });
  } catch (err) {
    if (!stopping.signal.aborted) {
      process.stderr.write(`chainsync start: ${(err as Error).message}\n`);
      code = 1;
    }
  } finally {
    say('stopping…');
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => process.stderr.write(`stop failed: ${String(err)}\n`));
    }
    stopLogs?.();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    say(`stopped (logs in ${logDir})`);
  }
  return code;
}

/** The api is started after the node, because it needs every service's ops port to probe. */
async function startApi(o: StartOptions, node: NodeHandle, logFile: string): Promise<StartChild> {
  const readyz = Object.entries(node.opsPorts)
    .map(([name, port]) => `${name}=http://127.0.0.1:${port}/readyz`)
    .join(',');
  const api = spawnNode(
    'api',
    API_MAIN,
    [],
    {
      NATS_URL: node.natsUrl,
      NODE_PREFIX: node.prefix,
      NODE_NAME: o.name,
      OPS_HOST: '127.0.0.1',
      HTTP_PORT: String(o.httpPort),
      LOG_LEVEL: o.logLevel,
      SERVICE_READYZ: readyz || 'none',
      ...busAuthEnv(node.busCredsDir ? roleAuth(node.busCredsDir, 'api') : undefined),
    },
    logFile,
    { watchesLifeline: true, nodeArgs: SERVICE_NODE_ARGS },
  );
  try {
    await Promise.race([
      waitReady(o.httpPort, API_READY_TIMEOUT_MS),
      api.exited.then((c) => {
        throw new Error(`the api exited (${c}) before it was ready:\n${api.recent()}`);
      }),
    ]);
  } catch (err) {
    await api.stop();
    throw err;
  }
  return api;
}

function watchUnexpectedExit(child: StartChild, stopping: AbortSignal): void {
  void child.exited.then((c) => {
    if (!stopping.aborted) {
      process.stderr.write(`\n*** chainsync: ${child.name} exited unexpectedly (${c}):\n${child.recent()}\n`);
    }
  });
}

/**
 * A data dir remembers the difficulty its chain was checked at, so a devnet chain is never
 * resumed as if it were a real network's (or the other way round).
 */
function checkDataDir(o: StartOptions): string | undefined {
  const file = join(o.dataDir, 'chainsync-start.json');
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { difficulty?: unknown; devnet?: unknown };
      if (saved.difficulty !== o.difficulty) {
        return `${o.dataDir} holds a chain checked at difficulty ${String(saved.difficulty)}${saved.devnet ? ' (a devnet chain)' : ''}: pass --difficulty ${String(saved.difficulty)} or another --data-dir`;
      }
    } catch {
      // unreadable: rewritten below
    }
  }
  writeFileSync(file, `${JSON.stringify({ difficulty: o.difficulty, devnet: o.devnet })}\n`);
  return undefined;
}
