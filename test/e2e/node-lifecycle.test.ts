import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeUdpPort,
  repoRoot,
  startNatsServer,
  startProcess,
  startService,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
} from '@chainsync/testing';
import { LOCK_FILE, type LockRecord } from '../../apps/node/src/node-lock.js';
import { isRunning, processId, type ProcessId } from '../../apps/node/src/proc-info.js';

/**
 * The launcher (`npm run node`) as a real process, killed the ways a user or a machine kills it:
 * its children never outlive it (kill -9 included), its data dir is locked while it runs, a start
 * after a dead launcher clears what it left, and SIGHUP stops it like SIGTERM.
 */

const HOST = '127.0.0.1';
const dataDir = mkdtempSync(join(tmpdir(), 'cs-node-life-'));
const lockPath = join(dataDir, LOCK_FILE);
const running: ServiceProcess[] = [];
const strangers: ChildProcess[] = [];
let udpPort: number;
let deadPeer: number;
let nats: NatsServerHandle | undefined;

beforeAll(async () => {
  udpPort = await freeUdpPort();
  deadPeer = await freeUdpPort(); // a bootstrap peer nobody answers on: the node needs none to be ready
});

afterAll(async () => {
  for (const r of running) await r.kill('SIGTERM');
  for (const s of strangers) s.kill('SIGKILL');
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function runNode(port = udpPort): ServiceProcess {
  const run = startProcess(
    'node-run',
    process.execPath,
    [
      join(repoRoot, 'apps/node/dist/main.js'),
      'run',
      ...['--peers', `${HOST}:${deadPeer}`, '--udp-port', String(port), '--advertise-host', HOST],
      ...['--difficulty', '1', '--data-dir', dataDir, '--validators', '1', '--prefix', `life_${port}`],
      ...['--log-dir', join(dataDir, 'logs')],
    ],
    { UDP_HOST: HOST },
  );
  running.push(run);
  return run;
}

/** Waits for the launcher's "up" line and returns its children's pids by name. */
async function up(run: ServiceProcess): Promise<Record<string, number>> {
  const line = await waitFor(
    () => {
      if (run.proc.exitCode !== null) throw new Error(`the launcher exited:\n${run.output()}`);
      return /node "chainsync" up .*$/m.exec(run.output())?.[0];
    },
    { timeoutMs: 60_000, what: 'the node to come up' },
  );
  return JSON.parse(/pids (\{.*\})/.exec(line)![1]!) as Record<string, number>;
}

const readLock = () => JSON.parse(readFileSync(lockPath, 'utf8')) as LockRecord;
const ids = (pids: Record<string, number>) => Object.values(pids).map((pid) => processId(pid)!);
const allGone = (procs: ProcessId[]) =>
  waitFor(() => procs.every((p) => !isRunning(p)), {
    timeoutMs: 5_000,
    intervalMs: 50,
    what: 'every child to exit',
  });

describe('the launcher leaves nothing behind', () => {
  let second: ServiceProcess;
  let secondPids: Record<string, number>;

  it('kill -9: every child exits within seconds; a new start on the same data dir and port comes up', async () => {
    const first = runNode();
    const pids = await up(first);
    expect(Object.keys(pids).sort().join()).toBe('chain-store,consensus,gossip,nats-server,validator-1');
    const lock = readLock();
    expect(lock.launcher.pid).toBe(first.proc.pid);
    expect(Object.fromEntries(Object.entries(lock.children).map(([n, id]) => [n, id.pid]))).toEqual(pids);

    const children = ids(pids);
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    await allGone(children);

    second = runNode();
    secondPids = await up(second);
    expect(second.output()).toContain(`left by launcher pid ${first.proc.pid}, which is gone`);
    expect(readLock().launcher.pid).toBe(second.proc.pid);
  });

  it('refuses a second start on a data dir in use, with status 1 and the holder named', async () => {
    const third = runNode(await freeUdpPort());
    expect(await third.exited).toBe(1);
    expect(third.output()).toMatch(
      new RegExp(`in use by the chainsync launcher with pid ${second.proc.pid}`),
    );
    expect(ids(secondPids).every(isRunning)).toBe(true);
    expect(readLock().launcher.pid).toBe(second.proc.pid);
  });

  it('SIGHUP stops the node gracefully, like SIGTERM, and releases the lock', async () => {
    const children = ids(secondPids);
    expect(await second.kill('SIGHUP')).toBe(0);
    expect(second.output()).toMatch(/SIGHUP, stopping every service/);
    expect(children.every((p) => !isRunning(p))).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a stale lock: stops the leftovers that are ours (they hold the port and the database), not others', async () => {
    // What an older launcher killed with -9 left: a gossip on our UDP port, a chain-store on our
    // database, both on their own NATS; and, under a reused pid, a process that is not ours.
    nats = await startNatsServer();
    const gossip = await startService('gossip', nats.url, 'stale', {
      UDP_PORT: String(udpPort),
      UDP_HOST: HOST,
      ADVERTISE_HOST: HOST,
      PEERS: `${HOST}:${deadPeer}`,
    });
    const store = await startService('chain-store', nats.url, 'stale', { DATA_DIR: dataDir });
    running.push(gossip.proc, store.proc);
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    strangers.push(stranger);
    const gone = spawn(process.execPath, ['-e', '']);
    const deadLauncher = processId(gone.pid!)!;
    await new Promise((r) => gone.once('exit', r));
    const leftover = {
      gossip: processId(gossip.proc.proc.pid!)!,
      'chain-store': processId(store.proc.proc.pid!)!,
    };
    writeFileSync(
      lockPath,
      JSON.stringify({
        launcher: deadLauncher,
        children: { ...leftover, consensus: processId(stranger.pid!)! },
      } satisfies LockRecord),
    );

    const run = runNode();
    const pids = await up(run);
    expect(run.output()).toMatch(
      new RegExp(
        `left by launcher pid ${deadLauncher.pid}, which is gone; stopped its leftover gossip .*chain-store`,
      ),
    );
    expect(Object.values(leftover).some(isRunning)).toBe(false);
    expect(await gossip.proc.exited).toBe(0); // SIGTERM first: a graceful stop
    expect(isRunning(processId(stranger.pid!)!)).toBe(true);
    expect(await run.kill('SIGTERM')).toBe(0);
    expect(ids(pids).some((p) => p && isRunning(p))).toBe(false);
  });
});
