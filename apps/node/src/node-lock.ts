import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, isOurProgram, isRunning, processId, type ProcessId } from './proc-info.js';

/** The lock's file name inside the data directory (beside LMDB's own files). */
export const LOCK_FILE = 'node.lock';
/** A leftover gets this long to stop after SIGTERM (chain-store closes LMDB) before SIGKILL. */
const LEFTOVER_TERM_MS = 5_000;
/** …and this long to be gone after SIGKILL before the start gives up. */
const LEFTOVER_KILL_MS = 2_000;
const POLL_MS = 50;

/** What `<data-dir>/node.lock` holds: the launcher and every process it started, by name. */
export interface LockRecord {
  launcher: ProcessId;
  children: Record<string, ProcessId>;
}

/** Another launcher, still running, holds the data directory. */
export class LockHeldError extends Error {
  readonly code = 'data_dir_in_use';
}

/** What a start must do about the lock it found: `null` file means none was there. */
export type LockVerdict =
  | { kind: 'free' }
  | { kind: 'held'; launcher: ProcessId }
  | { kind: 'stale'; leftovers: [string, ProcessId][]; unreadable: boolean };

/**
 * Pure: given the lock file's text (or null) and the probes, what to do. A leftover is a child the
 * lock names that still runs *and* still runs one of our programs, so a pid reused by anything
 * else is never signalled.
 */
export function judgeLock(
  text: string | null,
  probe: { running: (id: ProcessId) => boolean; ours: (pid: number) => boolean },
): LockVerdict {
  if (text === null) return { kind: 'free' };
  const lock = parseLock(text);
  if (!lock) return { kind: 'stale', leftovers: [], unreadable: true };
  if (probe.running(lock.launcher)) return { kind: 'held', launcher: lock.launcher };
  const leftovers = Object.entries(lock.children).filter(([, id]) => probe.running(id) && probe.ours(id.pid));
  return { kind: 'stale', leftovers, unreadable: false };
}

function parseLock(text: string): LockRecord | null {
  try {
    const v = JSON.parse(text) as Partial<LockRecord>;
    const okId = (id: unknown): id is ProcessId =>
      typeof id === 'object' &&
      id !== null &&
      Number.isInteger((id as ProcessId).pid) &&
      (id as ProcessId).pid > 0;
    if (!okId(v.launcher) || typeof v.children !== 'object' || v.children === null) return null;
    return {
      launcher: v.launcher,
      children: Object.fromEntries(Object.entries(v.children).filter(([, id]) => okId(id))),
    };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL what is still running; resolves once all are gone (or throws). */
async function stopLeftovers(leftovers: readonly [string, ProcessId][]): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    for (const [, id] of leftovers) if (isRunning(id)) process.kill(id.pid, s);
  };
  const goneWithin = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(POLL_MS)) {
      if (leftovers.every(([, id]) => !isRunning(id))) return true;
    }
    return leftovers.every(([, id]) => !isRunning(id));
  };
  signal('SIGTERM');
  if (await goneWithin(LEFTOVER_TERM_MS)) return;
  signal('SIGKILL');
  if (await goneWithin(LEFTOVER_KILL_MS)) return;
  const left = leftovers.filter(([, id]) => isRunning(id)).map(([n, id]) => `${n} (pid ${id.pid})`);
  throw new Error(`leftover processes would not exit: ${left.join(', ')}`);
}

/**
 * `<data-dir>/node.lock`: one launcher per chain database. Created atomically (written aside,
 * then hard-linked into place, which fails if the file exists), kept current as children are
 * (re)started, removed by a clean stop. A start that finds the lock of a launcher that is gone
 * (SIGKILL, a crash, a reboot) stops the leftover children it names and takes the lock over.
 */
export class NodeLock {
  private constructor(
    readonly path: string,
    private readonly launcher: ProcessId,
    private children: Record<string, ProcessId> = {},
  ) {}

  /** Takes the lock of `dataDir` for this process; `say` gets one line when a stale lock is cleared. */
  static async acquire(dataDir: string, say: (line: string) => void): Promise<NodeLock> {
    mkdirSync(dataDir, { recursive: true });
    const self = processId(process.pid) ?? { pid: process.pid, startTime: null };
    const lock = new NodeLock(join(dataDir, LOCK_FILE), self);
    // Two rounds: a stale lock is cleared in the first, then taken; losing that race to another
    // start is reported as held.
    for (let round = 0; round < 2; round++) {
      if (lock.create()) return lock;
      const text = readText(lock.path);
      const verdict = judge(dataDir, text);
      if (verdict.kind === 'stale') {
        await stopLeftovers(verdict.leftovers);
        say(staleLine(lock.path, text, verdict));
        if (readText(lock.path) === text) unlinkSync(lock.path);
      }
    }
    if (lock.create()) return lock;
    throw new LockHeldError(`${dataDir} is being taken by another start (${lock.path})`);
  }

  /** Throws LockHeldError when a live launcher holds `dataDir` (a start checks before it starts anything). */
  static check(dataDir: string): void {
    judge(dataDir, readText(join(dataDir, LOCK_FILE)));
  }

  /** Rewrites the lock with the children as they are now (after a start or restart). */
  update(children: Record<string, ProcessId>): void {
    this.children = { ...children };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, this.text());
    renameSync(temp, this.path);
  }

  /** Removes the lock; only after every child has exited. */
  release(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private text(): string {
    return `${JSON.stringify({ launcher: this.launcher, children: this.children } satisfies LockRecord)}\n`;
  }

  /** Creates the lock file if there is none; false when one exists. */
  private create(): boolean {
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, this.text());
    try {
      linkSync(temp, this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      unlinkSync(temp);
    }
  }
}

/** judgeLock on this machine's processes; a held lock throws. */
function judge(dataDir: string, text: string | null): LockVerdict {
  const verdict = judgeLock(text, { running: isRunning, ours: (pid) => isOurProgram(commandLine(pid)) });
  if (verdict.kind === 'held') {
    throw new LockHeldError(
      `${dataDir} is in use by the chainsync launcher with pid ${verdict.launcher.pid} ` +
        `(${join(dataDir, LOCK_FILE)}); stop that node first: two nodes must not share one chain database`,
    );
  }
  return verdict;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function staleLine(
  path: string,
  text: string | null,
  verdict: Extract<LockVerdict, { kind: 'stale' }>,
): string {
  if (verdict.unreadable) return `chainsync: ${path} was unreadable; took the lock over`;
  const pid = (JSON.parse(text!) as LockRecord).launcher.pid;
  const stopped = verdict.leftovers.map(([name, id]) => `${name} (pid ${id.pid})`).join(', ');
  return (
    `chainsync: ${path} was left by launcher pid ${pid}, which is gone; ` +
    `${stopped ? `stopped its leftover ${stopped}` : 'none of its children was still running'}; took the lock over`
  );
}
