import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DIFFICULTY } from '@chainsync/protocol';

/** `npm start` settings: flags win over environment variables, which win over defaults. */
export interface StartOptions {
  /** Bootstrap peers beyond the devnet: `host:port` entries and/or the preset `umanitoba`. */
  peers: string[];
  devnet: boolean;
  udpPort: number;
  /** Host put in our GOSSIP; empty = gossip picks this machine's first external IPv4. */
  advertiseHost: string;
  /** Address the UDP socket binds: loopback with only the devnet, every interface otherwise. */
  udpHost: string;
  difficulty: number;
  dataDir: string;
  httpPort: number;
  name: string;
  validators: number;
  verbose: boolean;
  natsUrl: string | undefined;
  logLevel: string;
  devnetPeers: number;
  devnetBlocks: number;
  devnetMineIntervalS: number;
  devnetBasePort: number;
}

export class UsageError extends Error {
  readonly code = 'usage';
}

/** Devnet defaults: difficulty 3 seeds 3000 blocks in seconds; 3 peers mining every 3 s take turns. */
export const DEVNET_DIFFICULTY = 3;
export const DEVNET_PEERS = 3;
export const DEVNET_BLOCKS = 3000;
export const DEVNET_MINE_INTERVAL_S = 3;

export const START_USAGE = `usage: npm start -- [options]

Starts a local nats-server and one chainsync node (gossip, consensus, validators, chain-store,
api), by default with a local devnet of mining peers; shows sync progress, then one line per
new block. Ctrl-C stops everything it started. Every option also has an environment variable
(right column); the flag wins.

Network
  --peers LIST             bootstrap peers host:port,host:port,... or "umanitoba"       PEERS
                           (the course's well-known hosts); turns the devnet off
  --no-devnet / --devnet   without / with the local devnet (default: with, unless     DEVNET=0|1
                           --peers is given)
  --udp-port N             our protocol UDP port (default 8999)                       UDP_PORT
  --advertise-host H       address peers reach us at (default 127.0.0.1 with only    ADVERTISE_HOST
                           the devnet, else this machine's first external IPv4)
  --difficulty D           trailing hex zeros a block hash needs (default            DIFFICULTY
                           ${DEVNET_DIFFICULTY} with the devnet, else ${DEFAULT_DIFFICULTY}, the spec's)
Node
  --data-dir DIR           chain and logs (default ./.data/devnet with the devnet,   DATA_DIR
                           else ./.data/node); a restart resumes from it
  --http-port N            api and dashboard port on 127.0.0.1 (default 8080)        HTTP_PORT
  --name NAME              node name in GOSSIP, logs and metrics (default chainsync) NODE_NAME
  --validators N           validator processes (default 2)                           VALIDATORS
  --nats URL               use this NATS server instead of starting one              NATS_URL
Devnet
  --devnet-peers N         mining peers (default ${DEVNET_PEERS})                                  DEVNET_PEERS
  --devnet-blocks N        blocks the devnet starts with (default ${DEVNET_BLOCKS})                DEVNET_BLOCKS
  --devnet-mine-interval S seconds between mined blocks (default ${DEVNET_MINE_INTERVAL_S})          DEVNET_MINE_INTERVAL
  --devnet-base-port N     first devnet UDP port (default udp-port + 1)              DEVNET_BASE_PORT
Output
  --verbose                also print every service's log (pretty) here              VERBOSE=1
  --log-level L            fatal|error|warn|info|debug|trace (default info)          LOG_LEVEL
  --help                   this text

Logs: pino JSON, one file per service: <data-dir>/logs/<service>.log.`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}=${JSON.stringify(raw)}: expected an integer in ${min}..${max}`);
  }
  return n;
}

function bool(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new UsageError(`${name}=${JSON.stringify(raw)}: expected 1 or 0`);
}

const PEER = /^([A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/** `host:port,...` and the preset name, checked here so a typo fails before anything starts. */
export function parsePeerList(raw: string): string[] {
  const out: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (!item) continue;
    const m = PEER.exec(item);
    if (item !== 'umanitoba' && (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)) {
      throw new UsageError(`--peers: "${item}" is not host:port (or "umanitoba")`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** Pure: argv + env → options, or a UsageError naming the bad flag. `null` means --help. */
export function parseStartOptions(
  args: string[],
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
): StartOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        peers: { type: 'string' },
        devnet: { type: 'boolean' },
        'no-devnet': { type: 'boolean' },
        'udp-port': { type: 'string' },
        'advertise-host': { type: 'string' },
        difficulty: { type: 'string' },
        'data-dir': { type: 'string' },
        'http-port': { type: 'string' },
        name: { type: 'string' },
        validators: { type: 'string' },
        nats: { type: 'string' },
        'devnet-peers': { type: 'string' },
        'devnet-blocks': { type: 'string' },
        'devnet-mine-interval': { type: 'string' },
        'devnet-base-port': { type: 'string' },
        verbose: { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return null;
  if (values.devnet && values['no-devnet']) throw new UsageError('give --devnet or --no-devnet, not both');

  const peers = parsePeerList(values.peers ?? env.PEERS ?? '');
  const devnetFlag = values.devnet ? true : values['no-devnet'] ? false : undefined;
  const devnet = devnetFlag ?? bool('DEVNET', env.DEVNET) ?? peers.length === 0;
  if (!devnet && peers.length === 0) {
    throw new UsageError('--no-devnet needs --peers host:port,... (or --peers umanitoba) to sync from');
  }
  const udpPort = int('udp-port', values['udp-port'] ?? env.UDP_PORT, 8999, 1, 65535);
  const localOnly = peers.length === 0;
  const difficulty = int(
    'difficulty',
    values.difficulty ?? env.DIFFICULTY,
    devnet ? DEVNET_DIFFICULTY : DEFAULT_DIFFICULTY,
    0,
    64,
  );
  const devnetPeers = int('devnet-peers', values['devnet-peers'] ?? env.DEVNET_PEERS, DEVNET_PEERS, 1, 32);
  const devnetBasePort = int(
    'devnet-base-port',
    values['devnet-base-port'] ?? env.DEVNET_BASE_PORT,
    udpPort + 1,
    1,
    65535 - devnetPeers + 1,
  );
  if (devnet && udpPort >= devnetBasePort && udpPort < devnetBasePort + devnetPeers) {
    throw new UsageError(
      `--udp-port ${udpPort} is one of the devnet's ports; pick another --devnet-base-port`,
    );
  }
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join('|')}`);
  const name = values.name ?? env.NODE_NAME ?? 'chainsync';
  if (name.length < 1 || name.length > 64) throw new UsageError('--name: 1 to 64 characters');
  const natsUrl = values.nats ?? env.NATS_URL;
  if (natsUrl !== undefined && !/^(nats|tls):\/\//.test(natsUrl))
    throw new UsageError('--nats: expected nats://host:port');

  return {
    peers,
    devnet,
    udpPort,
    advertiseHost: values['advertise-host'] ?? env.ADVERTISE_HOST ?? (localOnly ? '127.0.0.1' : ''),
    udpHost: localOnly ? '127.0.0.1' : '0.0.0.0',
    difficulty,
    // A devnet chain and a real one never share a directory by default.
    dataDir: resolve(cwd, values['data-dir'] ?? env.DATA_DIR ?? (devnet ? '.data/devnet' : '.data/node')),
    httpPort: int('http-port', values['http-port'] ?? env.HTTP_PORT, 8080, 1, 65535),
    name,
    validators: int('validators', values.validators ?? env.VALIDATORS, 2, 1, 64),
    verbose: values.verbose ?? bool('VERBOSE', env.VERBOSE) ?? false,
    natsUrl,
    logLevel,
    devnetPeers,
    devnetBlocks: int(
      'devnet-blocks',
      values['devnet-blocks'] ?? env.DEVNET_BLOCKS,
      DEVNET_BLOCKS,
      1,
      1_000_000,
    ),
    devnetMineIntervalS: int(
      'devnet-mine-interval',
      values['devnet-mine-interval'] ?? env.DEVNET_MINE_INTERVAL,
      DEVNET_MINE_INTERVAL_S,
      1,
      3600,
    ),
    devnetBasePort,
  };
}

/** The devnet's peer addresses, as the node's bootstrap list sees them. */
export function devnetAddresses(o: StartOptions): string[] {
  return Array.from({ length: o.devnetPeers }, (_, i) => `127.0.0.1:${o.devnetBasePort + i}`);
}
