import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { diesWithLauncher } from './child-lifeline.js';

/** A child started by `npm start` itself (the devnet, the api), logging to its own file. */
export interface StartChild {
  name: string;
  proc: ChildProcess;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** The last lines it printed, for error messages. */
  recent(): string;
  /** SIGTERM, SIGKILL after a grace period; resolves once it has exited and its log is flushed. */
  stop(): Promise<void>;
}

/** A service gets this long to drain after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;
const RECENT_LINES = 20;

const children = new Set<ChildProcess>();
let hooked = false;
/** If this process exits anyway (an uncaught error), the children go with it. */
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  });
}

/**
 * Runs `node <nodeArgs> <script> <args>`; stdout and stderr go to `logFile`; `opts.onLine` sees each stdout
 * line. The child exits when this process is gone (child-lifeline.ts): through the lifeline when
 * it is a runService service (`opts.watchesLifeline`), else through setpriv.
 */
export function spawnNode(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  opts: { watchesLifeline: boolean; onLine?: (line: string) => void; nodeArgs?: readonly string[] },
): StartChild {
  installExitHook();
  const child = diesWithLauncher(
    process.execPath,
    [...(opts.nodeArgs ?? []), script, ...args],
    'pipe',
    opts.watchesLifeline,
  );
  // Own process group: a terminal's Ctrl-C reaches only `npm start`, which then stops each child
  // once, in order (a child that also got the SIGINT would see our SIGTERM as a second signal
  // and skip its graceful shutdown).
  const proc = spawn(child.cmd, child.args, {
    env: { ...process.env, ...env, ...child.env },
    stdio: child.stdio,
    detached: true,
  });
  children.add(proc);
  const log = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  const keep = (line: string) => {
    log.write(`${line}\n`);
    lines.push(line);
    if (lines.length > RECENT_LINES) lines.shift();
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    keep(line);
    opts.onLine?.(line);
  });
  createInterface({ input: proc.stderr! }).on('line', keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve(code ?? signal ?? -1);
    });
    proc.once('error', (err) => {
      keep(`cannot start ${name}: ${err.message}`);
      children.delete(proc);
      resolve(-1);
    });
  });
  return {
    name,
    proc,
    exited,
    recent: () => lines.join('\n'),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(t);
      await new Promise((r) => log.end(r));
    },
  };
}
