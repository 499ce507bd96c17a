import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DIFFICULTY, DEFAULT_NODE_PREFIX, type BusRole } from '@chainsync/protocol';
import {
  SERVICE_NODE_ARGS,
  serviceEntry,
  serviceEnv,
  busAuthEnv,
  freeTcpPort,
  waitForTcp,
  waitReady,
  type BusAuth,
} from '@chainsync/service-kit';
import { ensureBusCredentials, nkeyFile, roleAuth, writeServerConfig } from './bus-credentials.js';
import { diesWithLauncher } from './child-lifeline.js';
import { LockHeldError, NodeLock } from './node-lock.js';
import { processId, type ProcessId } from './proc-info.js';
import { RestartPolicy } from './restart-policy.js';

/** One whole node: what `npm run node` and `launchNode()` start. */
export interface NodeOptions {
  peers: string[];
  udpPort: number;
  advertiseHost: string;
  udpHost?: string;
  difficulty: number;
  dataDir: string;
  name: string;
  validators: number;
  prefix: string;
  natsUrl?: string;
  /**
   * With `natsUrl`: a directory of per-role credentials (`<role>.nk`, made by `chainsync
   * bus-auth`) that the operator's NATS knows. Without `natsUrl` the private server's are made in
   * `<dataDir>/bus` on first start and used always.
   */
  busCredsDir?: string;
  /** One JSON log file per service in this dir; default: inherit stdout. */
  logDir?: string;
  logLevel?: string;
  /** Extra env for every service. */
  env?: Record<string, string>;
  /** Extra services, e.g. the api (added by start.ts). */
  services?: ServiceSpec[];
  consensusIntervalMs?: number;
  statsWindowMs?: number;
  gossipIntervalMs?: number;
  peerExpiryMs?: number;
  /** Extra `node` arguments for every service, e.g. `--cpu-prof` (benchmarks). */
  nodeArgs?: string[];
}

export interface ServiceSpec {
  app: string;
  name?: string;
  env?: Record<string, string>;
  opsPort?: number;
}

export interface NodeHandle {
  natsUrl: string;
  prefix: string;
  /** Credentials of the read-only `observer` role (NodeClient), when the bus has credentials. */
  busAuth: BusAuth | undefined;
  /** The directory of every role's credentials, when the bus has them. */
  busCredsDir: string | undefined;
  /** e.g. gossip, consensus, chain-store, validator-1.. */
  opsPorts: Record<string, number>;
  /**
   * Process ids by the same names, plus `nats-server` when the launcher started it (benchmarks).
   * Kept current: a restarted service's new pid replaces the old one.
   */
  pids: Record<string, number>;
  /**
   * Unexpected exits by the same names (0 for each supervised process): each one is followed by
   * a restart unless the node stops first. Tests assert "no service restarts" on it.
   */
  restarts: Record<string, number>;
  stop(): Promise<void>;
}

export const DEFAULT_NODE_OPTIONS = {
  udpPort: 8999,
  advertiseHost: '',
  difficulty: DEFAULT_DIFFICULTY,
  dataDir: './.data/chain-store',
  name: 'chainsync',
  validators: 2,
  prefix: DEFAULT_NODE_PREFIX,
} as const;

/** How long services get to become ready, and to exit after SIGTERM before SIGKILL. */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** apps/node/{src,dist}/launcher.* → the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where services keep Node's compile cache (git-ignored with node_modules). */
const COMPILE_CACHE_DIR = join(repoRoot, 'node_modules', '.cache', 'chainsync-compile');

export class LaunchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Running {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
}

/** Every child of every node this process launched, so an exiting parent takes them along. */
const allChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const c of allChildren) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  process.once('exit', killAll);
  // A host without its own handler would die on these without 'exit' hooks: take the children along.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return; // the host stops the node itself (run.ts)
      killAll();
      process.exit(code);
    });
  }
}

/**
 * Starts one node: takes `<dataDir>/node.lock` (refusing a data dir another live launcher holds,
 * stopping what a dead one left behind: node-lock.ts), then, at once, a private nats-server on
 * a free port (unless `natsUrl`), chain-store, gossip and consensus, then validator ×N and any
 * extra services — each a child process with an explicit free OPS_PORT that exits when this process is
 * gone (child-lifeline.ts) — and resolves once every `/readyz` answers 200. From then on a service
 * (or the private nats-server) that dies is reported on stderr, counted in `restarts` and started
 * again with the same environment and ports, backing off while it keeps dying
 * (restart-policy.ts). `stop()` SIGTERMs the services, consensus first, then NATS, then removes
 * the lock.
 */
export async function launchNode(opts: NodeOptions): Promise<NodeHandle> {
  installExitHook();
  const lock = await takeLock(resolve(opts.dataDir));
  const children: Supervised[] = [];
  let nats: Supervised | undefined;
  let stopped = false;
  const opsPorts: Record<string, number> = {};
  const pids: Record<string, number> = {};
  const running: Record<string, ProcessId> = {};
  const restarts: Record<string, number> = {};
  const notePid = (name: string, run: Running) => {
    const pid = run.proc.pid;
    if (pid === undefined) return;
    pids[name] = pid;
    running[name] = processId(pid) ?? { pid, startTime: null };
    lock.update(running);
  };
  const supervised = (name: string, start: () => Running) => {
    restarts[name] = 0;
    return new Supervised(name, start, notePid, () => restarts[name]!++);
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Consensus first, so it stops asking for work while the others go.
    const order = [...children].sort(
      (a, b) => Number(b.name === 'consensus') - Number(a.name === 'consensus'),
    );
    await Promise.all(order.map((c) => c.stop()));
    if (nats) await nats.stop();
    lock.release();
  };

  try {
    let natsUrl = opts.natsUrl;
    let natsUp: Promise<unknown> = Promise.resolve();
    let credsDir = opts.busCredsDir && resolve(opts.busCredsDir);
    if (!natsUrl) {
      const port = await freeTcpPort();
      // Least privilege on the private bus too: one user per role, nobody else (bus-credentials.ts).
      const creds = ensureBusCredentials((credsDir = join(resolve(opts.dataDir), 'bus')));
      const config = writeServerConfig(creds, { prefix: opts.prefix });
      nats = supervised('nats-server', () =>
        spawnChild(
          'nats-server',
          'nats-server',
          ['-c', config, '-a', '127.0.0.1', '-p', String(port)],
          { GOMAXPROCS: natsGoMaxProcs() },
          opts.logDir,
          false,
        ),
      );
      // Not awaited here: the services start loading at once (that takes them far longer than
      // the server takes to listen) and connect when it does; readiness below waits for both.
      natsUp = Promise.race([
        waitForTcp(port, 15_000),
        nats.current.exited.then(() => {
          throw new LaunchError(
            'nats_failed',
            'nats-server exited at start (is it installed? apt-get install nats-server)',
          );
        }),
      ]);
      natsUp.catch(() => undefined); // observed below; not an unhandled rejection meanwhile
      natsUrl = `nats://127.0.0.1:${port}`;
    }

    const common: Record<string, string> = {
      ...serviceEnv(),
      NATS_URL: natsUrl,
      NODE_PREFIX: opts.prefix,
      NODE_NAME: opts.name,
      OPS_HOST: '127.0.0.1',
      DIFFICULTY: String(opts.difficulty),
      // Node's on-disk compile cache: a service's modules load from cached bytecode after the
      // first start (measured: the node is ready ~0.3–0.4 s sooner). The operator's choice wins.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? COMPILE_CACHE_DIR,
      ...(opts.logLevel ? { LOG_LEVEL: opts.logLevel } : {}),
      ...opts.env,
    };
    const gossipEnv: Record<string, string> = {
      UDP_PORT: String(opts.udpPort),
      UDP_HOST: opts.udpHost ?? '0.0.0.0',
      ADVERTISE_HOST: opts.advertiseHost,
      PEERS: opts.peers.join(','),
      ...optional('GOSSIP_INTERVAL_MS', opts.gossipIntervalMs),
      ...optional('PEER_EXPIRY_MS', opts.peerExpiryMs),
    };
    const consensusEnv: Record<string, string> = {
      ...optional('STATS_WINDOW_MS', opts.statsWindowMs),
      ...optional('CONSENSUS_INTERVAL_MS', opts.consensusIntervalMs),
    };
    // Two waves. Loading a service costs ~0.35 s of CPU, and on two cores five at once slow each
    // other down: the services a sync starts with (the store, gossip, consensus: its first round
    // waits for the other two) load at once; validators and extra services (the api) are needed
    // only once blocks arrive, so they load next, while the first round runs.
    const firstWave: ServiceSpec[] = [
      { app: 'chain-store', env: { DATA_DIR: resolve(opts.dataDir) } },
      { app: 'gossip', env: gossipEnv },
      { app: 'consensus', env: consensusEnv },
    ];
    const secondWave: ServiceSpec[] = [
      ...Array.from({ length: opts.validators }, (_, i) => ({
        app: 'validator',
        name: `validator-${i + 1}`,
      })),
      ...(opts.services ?? []),
    ];

    for (const group of [firstWave, secondWave]) {
      const started: { name: string; port: number; child: Supervised }[] = [];
      for (const spec of group) {
        const name = spec.name ?? spec.app;
        const port = spec.opsPort ?? (await freeTcpPort());
        const main = serviceEntry(repoRoot, spec.app);
        if (!existsSync(main))
          throw new LaunchError('not_built', `${main} is missing: build first (npm run build)`);
        const auth = credsDir ? busAuthEnv({ nkeyFile: nkeyFile(credsDir, spec.app as BusRole) }) : {};
        const env = { ...common, ...auth, ...spec.env, OPS_PORT: String(port) };
        const child = supervised(name, () =>
          spawnChild(
            name,
            process.execPath,
            [...SERVICE_NODE_ARGS, ...(opts.nodeArgs ?? []), main],
            env,
            opts.logDir,
            true,
          ),
        );
        children.push(child);
        opsPorts[name] = port;
        started.push({ name, port, child });
      }
      await Promise.all([
        natsUp,
        ...started.map(({ name, port, child }) =>
          Promise.race([
            waitReady(port, READY_TIMEOUT_MS),
            child.current.exited.then(() => {
              throw new LaunchError('service_failed', `${name} exited before it was ready`);
            }),
          ]),
        ),
      ]);
    }

    for (const c of nats ? [nats, ...children] : children) c.supervise();
    return {
      natsUrl,
      prefix: opts.prefix,
      busAuth: credsDir ? roleAuth(credsDir, 'observer') : undefined,
      busCredsDir: credsDir,
      opsPorts,
      pids,
      restarts,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The data dir's lock, or a LaunchError naming the live launcher that holds it. */
async function takeLock(dataDir: string): Promise<NodeLock> {
  try {
    return await NodeLock.acquire(dataDir, (line) => process.stderr.write(`${line}\n`));
  } catch (err) {
    if (err instanceof LockHeldError) throw new LaunchError(err.code, err.message);
    throw err;
  }
}

function optional(key: string, v: number | undefined): Record<string, string> {
  return v === undefined ? {} : { [key]: String(v) };
}

/**
 * Go threads for the node's private nats-server. One node's bus carries tens of MB/s, which one
 * thread routes easily; with the default (one per core) Go's idle threads spin looking for work,
 * and on a 2-core machine that measured a third more server CPU per block synced (18 → 12 µs).
 * The operator's own GOMAXPROCS wins.
 */
export function natsGoMaxProcs(): string {
  return process.env.GOMAXPROCS ?? '1';
}

/** `watchesLifeline`: the child is one of our services (runService), else nats-server. */
export function spawnChild(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  logDir: string | undefined,
  watchesLifeline: boolean,
): Running {
  let out: number | 'inherit' = 'inherit';
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    out = openSync(join(logDir, `${name}.log`), 'a');
  }
  const child = diesWithLauncher(cmd, args, out, watchesLifeline);
  // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each child
  // once, in order (a child that also got the SIGINT would take our SIGTERM as a second signal and
  // skip its graceful shutdown).
  const proc = spawn(child.cmd, child.args, {
    env: { ...process.env, ...env, ...child.env },
    stdio: child.stdio,
    detached: true,
  });
  if (typeof out === 'number') closeSync(out); // the child holds its own copy
  allChildren.add(proc);
  const exited = new Promise<void>((r) => {
    proc.once('exit', () => {
      allChildren.delete(proc);
      r();
    });
    proc.once('error', (err) => {
      process.stderr.write(`chainsync: cannot start ${name}: ${err.message}\n`);
      allChildren.delete(proc);
      r();
    });
  });
  return { name, proc, exited, stopping: false };
}

/**
 * One service process the launcher keeps running: `start` spawns it (same command, environment
 * and ports every time); once `supervise()` is called, an exit that `stop()` did not ask for
 * starts it again after the RestartPolicy's delay.
 */
export class Supervised {
  current: Running;
  private startedAt = Date.now();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly policy = new RestartPolicy();

  constructor(
    readonly name: string,
    private readonly start: () => Running,
    private readonly onStart: (name: string, run: Running) => void,
    private readonly onUnexpectedExit: () => void,
  ) {
    this.current = start();
    onStart(name, this.current);
  }

  supervise(): void {
    this.watch(this.current);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await terminate(this.current);
  }

  private watch(run: Running): void {
    void run.exited.then(() => {
      if (this.stopping) return; // stop() asked for this exit
      this.onUnexpectedExit();
      const delayMs = this.policy.onExit(Date.now() - this.startedAt);
      process.stderr.write(
        `\n*** chainsync: service ${this.name} exited unexpectedly ` +
          `(${run.proc.signalCode ?? `code ${run.proc.exitCode}`}); restarting it in ${delayMs / 1000} s ***\n`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.stopping) return;
        this.current = this.start();
        this.startedAt = Date.now();
        this.onStart(this.name, this.current);
        this.watch(this.current);
      }, delayMs);
    });
  }
}

async function terminate(c: Running): Promise<void> {
  c.stopping = true;
  if (c.proc.exitCode !== null || c.proc.signalCode !== null || c.proc.pid === undefined) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), STOP_GRACE_MS);
  await c.exited;
  clearTimeout(t);
}
