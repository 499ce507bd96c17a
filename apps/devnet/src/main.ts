import { parseArgs } from 'node:util';
import { createLogger } from '@chainsync/service-kit';
import { readChainFile } from './chain-file.js';
import { UsageError, intArg, required, runCli, secondsArg } from './cli-args.js';
import { DEFAULT_DEVNET_BLOCKS, DEFAULT_DEVNET_DIFFICULTY, startDevnet } from './devnet.js';
import { parseFaults } from './faults.js';
import { parseHostPorts, resolveAll } from './addresses.js';
import { seededRand } from './content.js';
import {
  HOSTILE_MODES,
  hostileHelp,
  parseHostileKnobs,
  parseHostileModes,
  startHostile,
  startReporter,
  summarize,
} from './hostile/index.js';
import { MAX_CHAIN_BLOCKS, MAX_DEVNET_DIFFICULTY, MAX_DEVNET_PEERS, MIN_TIMER_MS } from './limits.js';

const USAGE = `usage: npm run devnet -- --peers K --base-port P [options]

Starts K protocol peers on ports P..P+K-1 that gossip with each other and the bootstrap peers.
  --host ADDR              address to bind and advertise (default 127.0.0.1)
  --blocks N               generate an N-block chain at start (default ${DEFAULT_DEVNET_BLOCKS})
  --chain FILE             serve this chain file instead (JSON lines, see \`npm run chain\`)
  --seed S                 seed of the generated chain (default devnet)
  --difficulty D           devnet difficulty: trailing hex zeros (default ${DEFAULT_DEVNET_DIFFICULTY})
  --mine-interval SECONDS  mine a block every SECONDS, the peers taking turns, and ANNOUNCE it
  --bootstrap HOST:PORT,…  well-known peers outside the devnet (e.g. a node to sync)
  --faults "PORT:MODE,…"   per-peer faults; PORT may be * (every peer). Modes:
                           drop=0.3 delay=50ms lie corrupt=0.2 silent fork=H rate=500
  --gossip-interval SECONDS  re-gossip period (default 30)
  --peer-expiry SECONDS      forget peers silent this long (default 60)
  --height-convention C      what STATS_REPLY height counts: length (default) or top_index
  --report-requests        on stop, print {"getBlock":{count,first,last}} (epoch ms; benchmarks)
  --hostile MODE,…|all     also mount these attacks on the --bootstrap peer (exactly one: the node;
                           --hostile help: what each mode does and its knobs):
                           ${HOSTILE_MODES.slice(0, 7).join(' ')}
                           ${HOSTILE_MODES.slice(7).join(' ')}
  --hostile-option K=V,…   attack knobs: MODE.KEY=VALUE, or KEY=VALUE for every mode that has KEY
                           (README: each mode's knobs and defaults)
  --hostile-seed S         seed the attacks' random choices, to replay a run exactly
  --help                   this text
Env: LOG_LEVEL (default info). Stops cleanly on SIGINT / SIGTERM.`;

await runCli(USAGE, async () => {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string' },
      'base-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      blocks: { type: 'string' },
      chain: { type: 'string' },
      seed: { type: 'string' },
      difficulty: { type: 'string' },
      'mine-interval': { type: 'string' },
      bootstrap: { type: 'string' },
      faults: { type: 'string' },
      'gossip-interval': { type: 'string' },
      'peer-expiry': { type: 'string' },
      'height-convention': { type: 'string' },
      'report-requests': { type: 'boolean' },
      hostile: { type: 'string' },
      'hostile-option': { type: 'string' },
      'hostile-seed': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.hostile === 'help') {
    console.log(hostileHelp());
    return 0;
  }
  const peers = required('peers', intArg('peers', values.peers, 1, MAX_DEVNET_PEERS));
  const basePort = required('base-port', intArg('base-port', values['base-port'], 1, 65535));
  if (values.blocks !== undefined && values.chain !== undefined)
    throw new UsageError('give --blocks or --chain, not both');
  const difficulty =
    intArg('difficulty', values.difficulty, 0, MAX_DEVNET_DIFFICULTY) ?? DEFAULT_DEVNET_DIFFICULTY;
  const blocks = intArg('blocks', values.blocks, 1, MAX_CHAIN_BLOCKS);
  const faults = parseFaults(values.faults ?? '');
  const bootstrap = parseHostPorts(values.bootstrap ?? '');
  const mineIntervalMs = secondsArg('mine-interval', values['mine-interval'], MIN_TIMER_MS);
  const gossipIntervalMs = secondsArg('gossip-interval', values['gossip-interval'], MIN_TIMER_MS);
  const peerExpiryMs = secondsArg('peer-expiry', values['peer-expiry'], MIN_TIMER_MS);
  const heightConvention = values['height-convention'] ?? 'length';
  if (heightConvention !== 'length' && heightConvention !== 'top_index')
    throw new UsageError(`--height-convention must be length or top_index (got "${heightConvention}")`);
  const hostileModes = values.hostile === undefined ? undefined : parseHostileModes(values.hostile);
  if (hostileModes === undefined && (values['hostile-option'] ?? values['hostile-seed']) !== undefined)
    throw new UsageError('--hostile-option and --hostile-seed go with --hostile');
  const hostileKnobs = hostileModes && parseHostileKnobs(values['hostile-option'] ?? '', hostileModes);
  if (hostileModes && bootstrap.length !== 1)
    throw new UsageError('--hostile attacks the --bootstrap peer: give exactly one');

  const log = createLogger('devnet', 'devnet', (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
  log.info({ nodeVersion: process.version, pid: process.pid }, 'starting');
  const chain = values.chain === undefined ? undefined : await readChainFile(values.chain, { difficulty });
  const devnet = await startDevnet({
    peers,
    basePort,
    host: values.host,
    chain,
    blocks,
    seed: values.seed,
    difficulty,
    mineIntervalMs,
    bootstrap,
    faults,
    gossipIntervalMs,
    peerExpiryMs,
    heightConvention,
    log,
  });
  log.info({ peers, basePort, difficulty, height: devnet.chain.length }, 'devnet up');
  const hostile =
    hostileModes &&
    (await startHostile({
      modes: hostileModes,
      target: (await resolveAll(bootstrap))[0]!,
      host: values.host,
      // The hub's chain: it follows mining and ANNOUNCEs, so the attackers' claims stay current.
      chain: () => devnet.peers[0]!.chain,
      difficulty,
      knobs: hostileKnobs,
      rand: values['hostile-seed'] === undefined ? undefined : seededRand(values['hostile-seed']),
      log,
    }).catch(async (err: unknown) => {
      await devnet.stop();
      throw err;
    }));
  const stopReporter = hostile && startReporter(hostile, log);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'devnet stopping');
      stopReporter?.();
      const stopped = hostile
        ? hostile.stop().then(() => summarize(hostile.stats(), log))
        : Promise.resolve();
      stopped
        .then(() => devnet.stop())
        .then(() => {
          if (values['report-requests']) console.log(JSON.stringify({ getBlock: requestSummary(devnet) }));
        })
        .then(resolve, resolve);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  log.info('devnet stopped');
  return 0;
});

/** When the devnet's peers got their first and last GET_BLOCK, and how many (benchmarks read it). */
function requestSummary(devnet: {
  peers: { counters: { getBlocks: number; firstGetBlockAt: number; lastGetBlockAt: number } }[];
}) {
  const asked = devnet.peers.map((p) => p.counters).filter((c) => c.getBlocks > 0);
  return {
    count: asked.reduce((n, c) => n + c.getBlocks, 0),
    first: asked.length > 0 ? Math.min(...asked.map((c) => c.firstGetBlockAt)) : null,
    last: asked.length > 0 ? Math.max(...asked.map((c) => c.lastGetBlockAt)) : null,
  };
}
