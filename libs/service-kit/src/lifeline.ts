import { Socket } from 'node:net';

/**
 * A launcher that wants its children to die with it hands each one the read end of a pipe on an
 * extra file descriptor and names it in this variable. Only the launcher holds the write end, so
 * the kernel closes it when the launcher is gone, however it went (SIGKILL included), and the
 * child reads EOF at once: no polling of the parent's pid, no timer.
 */
export const LIFELINE_FD_ENV = 'CHAINSYNC_LIFELINE_FD';

/**
 * An orphan gets this long to shut down gracefully before it exits anyway: its launcher's private
 * nats-server usually went down with the launcher, so draining NATS can only wait for a timeout,
 * and LMDB commits are atomic, so a hard exit loses nothing acknowledged.
 */
export const ORPHAN_EXIT_MS = 1_000;

/**
 * Calls `onGone` once when the launcher named by `env[LIFELINE_FD_ENV]` is gone (EOF or an error
 * on the pipe). Returns false when there is no lifeline to watch (a service started by hand or
 * under compose). The pipe does not keep the event loop alive.
 */
export function watchLifeline(env: Record<string, string | undefined>, onGone: () => void): boolean {
  const raw = env[LIFELINE_FD_ENV];
  if (raw === undefined || raw === '') return false;
  const fd = Number(raw);
  if (!Number.isInteger(fd) || fd < 3)
    throw new Error(`${LIFELINE_FD_ENV}=${JSON.stringify(raw)} is not a file descriptor ≥ 3`);
  const pipe = new Socket({ fd, readable: true, writable: false });
  let gone = false;
  const fire = () => {
    if (gone) return;
    gone = true;
    pipe.destroy();
    onGone();
  };
  pipe.on('data', () => undefined); // the launcher writes nothing; reading is how EOF is seen
  pipe.once('end', fire);
  pipe.once('close', fire);
  pipe.once('error', fire);
  pipe.unref();
  return true;
}
