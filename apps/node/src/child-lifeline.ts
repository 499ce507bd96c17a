import { spawnSync, type StdioOptions } from 'node:child_process';
import { LIFELINE_FD_ENV } from '@chainsync/service-kit';

/**
 * How a launcher's children die with it, whatever kills it (SIGKILL included):
 * - our services (runService) get the read end of a pipe on fd 3, named in CHAINSYNC_LIFELINE_FD;
 *   the launcher never writes to it, so when the launcher is gone the kernel closes its end and
 *   the service reads EOF and shuts down (service-kit's lifeline.ts);
 * - programs that cannot watch a pipe (nats-server, the devnet) are started through util-linux's
 *   `setpriv --pdeathsig TERM`, which asks the kernel to SIGTERM them when their parent dies and
 *   then execs them (same pid). Without setpriv they can outlive a killed launcher; the next
 *   start stops them through the lock file (node-lock.ts).
 */

const LIFELINE_FD = 3;

export interface ChildCommand {
  cmd: string;
  args: string[];
  stdio: StdioOptions;
  env: Record<string, string>;
}

let setpriv: boolean | undefined;
/** Whether `setpriv --pdeathsig` works here (util-linux ≥ 2.33); probed once. */
function hasSetpriv(): boolean {
  setpriv ??= spawnSync('setpriv', ['--pdeathsig', 'TERM', 'true'], { stdio: 'ignore' }).status === 0;
  return setpriv;
}

let warned = false;

/**
 * The command, stdio and extra env to spawn a child so it exits when this process is gone.
 * `watchesLifeline`: the child runs runService and watches the pipe; otherwise setpriv is used.
 */
export function diesWithLauncher(
  cmd: string,
  args: string[],
  out: 'inherit' | 'ignore' | 'pipe' | number,
  watchesLifeline: boolean,
): ChildCommand {
  if (watchesLifeline) {
    return {
      cmd,
      args,
      stdio: ['ignore', out, out, 'pipe'],
      env: { [LIFELINE_FD_ENV]: String(LIFELINE_FD) },
    };
  }
  if (hasSetpriv()) {
    return {
      cmd: 'setpriv',
      args: ['--pdeathsig', 'TERM', '--', cmd, ...args],
      stdio: ['ignore', out, out],
      env: {},
    };
  }
  if (!warned) {
    warned = true;
    process.stderr.write(
      `chainsync: setpriv (util-linux) with --pdeathsig is missing: ${cmd} may outlive a killed launcher ` +
        '(the next start stops it)\n',
    );
  }
  return { cmd, args, stdio: ['ignore', out, out], env: {} };
}
