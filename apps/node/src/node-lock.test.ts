import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeLock, LOCK_FILE, LockHeldError, NodeLock, type LockRecord } from './node-lock.js';
import { isRunning, processId, type ProcessId } from './proc-info.js';

const id = (pid: number, startTime = 1): ProcessId => ({ pid, startTime });
const lockText = (r: LockRecord) => JSON.stringify(r);

describe('judgeLock', () => {
  const probe = (running: number[], ours: number[]) => ({
    running: (p: ProcessId) => running.includes(p.pid),
    ours: (pid: number) => ours.includes(pid),
  });

  it('is free without a file and held while its launcher runs', () => {
    expect(judgeLock(null, probe([], []))).toEqual({ kind: 'free' });
    const text = lockText({ launcher: id(10), children: { gossip: id(11) } });
    expect(judgeLock(text, probe([10, 11], [11]))).toEqual({ kind: 'held', launcher: id(10) });
  });

  it('is stale once its launcher is gone; leftovers are the children still running our programs', () => {
    const text = lockText({
      launcher: id(10),
      children: { gossip: id(11), 'chain-store': id(12), consensus: id(13), 'nats-server': id(14) },
    });
    // 12 exited; 13 is a reused pid now running something else; 11 and 14 are ours and running.
    expect(judgeLock(text, probe([11, 13, 14], [11, 14]))).toEqual({
      kind: 'stale',
      leftovers: [
        ['gossip', id(11)],
        ['nats-server', id(14)],
      ],
      unreadable: false,
    });
  });

  it('treats an unreadable lock as stale with nothing to stop', () => {
    expect(judgeLock('{"launcher":', probe([], []))).toEqual({
      kind: 'stale',
      leftovers: [],
      unreadable: true,
    });
    expect(judgeLock('{"launcher":{"pid":-1},"children":{}}', probe([], []))).toMatchObject({
      unreadable: true,
    });
  });
});

describe('NodeLock', () => {
  let dir: string;
  const spawned: ChildProcess[] = [];
  const lines: string[] = [];
  const say = (l: string) => lines.push(l);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'node-lock-'));
    lines.length = 0;
  });
  afterEach(() => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process whose command line names `script` (a fake service main), running until killed. */
  const run = (args: string[], cmd = process.execPath) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    spawned.push(c);
    return processId(c.pid!)!;
  };
  const deadPid = async () => {
    const c = spawn(process.execPath, ['-e', '']);
    const pid = processId(c.pid!)!;
    await new Promise((r) => c.once('exit', r));
    return pid;
  };
  const waitGone = async (p: ProcessId) => {
    for (let i = 0; i < 100 && isRunning(p); i++) await new Promise((r) => setTimeout(r, 20));
    return !isRunning(p);
  };
  const fakeService = '/nowhere/apps/gossip/dist/main.js'; // named in argv, never read

  it('is created with our pid, keeps the children current, and is removed on release', async () => {
    const lock = await NodeLock.acquire(dir, say);
    const read = () => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockRecord;
    expect(read()).toEqual({ launcher: processId(process.pid), children: {} });
    lock.update({ gossip: id(123, 456) });
    expect(read().children).toEqual({ gossip: id(123, 456) });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(lines).toEqual([]);
  });

  it('refuses a data dir whose launcher is alive (this process, here)', async () => {
    const lock = await NodeLock.acquire(dir, say);
    await expect(NodeLock.acquire(dir, say)).rejects.toThrow(LockHeldError);
    expect(() => NodeLock.check(dir)).toThrow(/in use by the chainsync launcher with pid \d+/);
    lock.release();
    expect(() => NodeLock.check(dir)).not.toThrow();
  });

  it('takes a stale lock over: stops the leftovers that are ours, leaves any other process alone', async () => {
    const leftover = run(['-e', 'setInterval(() => {}, 1000)', fakeService]);
    const stranger = run(['-e', 'setInterval(() => {}, 1000)']);
    const launcher = await deadPid();
    writeFileSync(
      join(dir, LOCK_FILE),
      lockText({ launcher, children: { gossip: leftover, validator: stranger } }),
    );
    const lock = await NodeLock.acquire(dir, say);
    expect(await waitGone(leftover)).toBe(true);
    expect(isRunning(stranger)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `left by launcher pid ${launcher.pid}, which is gone; stopped its leftover gossip \\(pid ${leftover.pid}\\)`,
      ),
    );
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).launcher).toEqual(processId(process.pid));
    lock.release();
  });

  it('kills a leftover that ignores SIGTERM', async () => {
    const stubborn = run(['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)", fakeService]);
    await new Promise((r) => setTimeout(r, 300)); // let it install its handler
    writeFileSync(
      join(dir, LOCK_FILE),
      lockText({ launcher: await deadPid(), children: { gossip: stubborn } }),
    );
    const lock = await NodeLock.acquire(dir, say);
    expect(isRunning(stubborn)).toBe(false);
    lock.release();
  });

  it('takes an unreadable lock over with one line', async () => {
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    const lock = await NodeLock.acquire(dir, say);
    expect(lines).toEqual([`chainsync: ${lock.path} was unreadable; took the lock over`]);
    lock.release();
  });
});
