import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * What the launcher needs to know about other processes, from Linux's /proc: whether a pid still
 * names the process it named when we wrote it down (pids are reused; the start time tells them
 * apart) and whether it runs one of our programs.
 */

/** A process as the lock file remembers it. */
export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null when it could not be read. */
  startTime: number | null;
}

/** Start time from the text of /proc/<pid>/stat; the command name in parentheses may hold spaces. */
export function parseStartTime(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so starttime (field 22) is at index 22 - 3.
  const t = Number(fields[22 - 3]);
  return Number.isFinite(t) ? t : null;
}

/** Whether a command line (argv) is one of ours: a service's `dist/main.js` (or its bundle) or a nats-server. */
export function isOurProgram(argv: readonly string[]): boolean {
  if (argv[0] !== undefined && basename(argv[0]) === 'nats-server') return true;
  return argv.some((a) => /(^|\/)apps\/[\w.-]+\/dist\/main(\.bundle)?\.js$/.test(a));
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return null;
  }
}

/** The pid's process as it is now, or null when there is none (a zombie counts as none). */
export function processId(pid: number): ProcessId | null {
  const stat = readProc(pid, 'stat');
  if (stat === null) return null;
  if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return null;
  return { pid, startTime: parseStartTime(stat) };
}

/** Whether `id` still names a live process: the same pid, started at the same time. */
export function isRunning(id: ProcessId): boolean {
  const now = processId(id.pid);
  return now !== null && (id.startTime === null || now.startTime === id.startTime);
}

/** The pid's argv, or [] when it cannot be read. */
export function commandLine(pid: number): string[] {
  return (readProc(pid, 'cmdline') ?? '').split('\0').filter(Boolean);
}
