/**
 * The `chainsync` command line.
 *   run    — one whole node: nats-server (unless --nats), gossip, consensus, chain-store, validators
 *   start  — `npm start`: a node plus a local devnet, api and a live progress view
 */
const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'run':
    await (await import('./run.js')).main(args);
    break;
  case 'start':
    await (await import('./start.js')).main(args);
    break;
  default:
    process.stderr.write('usage: chainsync run|start [flags]   (try --help)\n');
    process.exit(2);
}
