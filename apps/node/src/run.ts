import { launchNode } from './launcher.js';
import { parseOrExit } from './cli.js';
import { parseRunArgs, RUN_USAGE } from './run-options.js';

/**
 * `npm run node -- [flags]`: one whole node in the foreground until SIGINT, SIGTERM or SIGHUP (a
 * closed terminal), each a graceful stop. Exits 1 when the node cannot start, e.g. because another
 * live launcher holds the data dir.
 */
export async function main(args: string[]): Promise<void> {
  const opts = parseOrExit('run', RUN_USAGE, () => parseRunArgs(args, process.env));
  if (!opts) return;
  let node;
  try {
    node = await launchNode(opts);
  } catch (err) {
    process.stderr.write(`chainsync run: the node did not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `chainsync run: node "${opts.name}" up on Node.js ${process.version} — UDP ${opts.udpHost ?? '0.0.0.0'}:${opts.udpPort}, ` +
      `NATS ${node.natsUrl} (prefix ${node.prefix}${node.busCredsDir ? `, bus credentials in ${node.busCredsDir}` : ''}), ` +
      `ops ports ${JSON.stringify(node.opsPorts)}, ` +
      `pids ${JSON.stringify(node.pids)}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`chainsync run: ${signal}, stopping every service…\n`);
    node.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`chainsync run: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}
