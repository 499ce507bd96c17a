/**
 * The `chainsync` command line.
 *   run    — one whole node: nats-server (unless --nats), gossip, consensus, chain-store, validators
 *   start  — `npm start`: a node plus a local devnet, api and a live progress view
 *   service — one service alone against a NATS elsewhere (`npm run service -- validator --nats …`)
 *   bus-auth — a node's bus credentials and nats-server configuration
 */
const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'run':
    await (await import('./run.js')).main(args);
    break;
  case 'start':
    await (await import('./start.js')).main(args);
    break;
  case 'service':
    await (await import('./service.js')).main(args);
    break;
  case 'bus-auth':
    await (await import('./bus-auth.js')).main(args);
    break;
  default:
    process.stderr.write('usage: chainsync run|start|service|bus-auth [flags]   (try --help)\n');
    process.exit(2);
}
