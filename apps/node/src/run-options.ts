import { parseArgs } from 'node:util';
import { DEFAULT_NODE_OPTIONS, type NodeOptions } from './launcher.js';

export const RUN_USAGE = `usage: npm run node -- [flags]

Starts one whole chainsync node: a private nats-server on a free port (unless --nats), then
gossip, consensus, chain-store and N validators as child processes. Ctrl-C (SIGINT) or SIGTERM
stops them all. Every flag has an environment variable; the flag wins.

  --peers LIST          bootstrap peers host:port,host:port,... (required)        PEERS
  --udp-port N          protocol UDP port (default ${DEFAULT_NODE_OPTIONS.udpPort})                       UDP_PORT
  --udp-host H          UDP bind address (default 0.0.0.0)                        UDP_HOST
  --advertise-host H    address put in our GOSSIP (default: 127.0.0.1 if every   ADVERTISE_HOST
                        peer is on loopback, else the first external IPv4)
  --difficulty D        trailing zeros a hash needs (default ${DEFAULT_NODE_OPTIONS.difficulty})                 DIFFICULTY
  --data-dir DIR        chain-store directory (default ${DEFAULT_NODE_OPTIONS.dataDir})  DATA_DIR
  --name NAME           node name (default ${DEFAULT_NODE_OPTIONS.name})                        NODE_NAME
  --validators N        validator processes (default ${DEFAULT_NODE_OPTIONS.validators})                     VALIDATORS
  --prefix P            NATS subject prefix (default ${DEFAULT_NODE_OPTIONS.prefix})                    NODE_PREFIX
  --nats URL[,URL…]     use this NATS server (or cluster: every server, comma-  NATS_URL
                        separated) instead of starting a private one
  --bus-creds DIR       with --nats: per-role credentials (DIR/<role>.nk, from  BUS_CREDS_DIR
                        \`npm run bus-auth\`); without --nats they are made in
                        DATA_DIR/bus and the private server admits only them
  --log-dir DIR         one JSON log file per service (default: this terminal) LOG_DIR
  --log-level L         fatal|error|warn|info|debug|trace|silent (default info) LOG_LEVEL
  --help                this text

Timers for tests: STATS_WINDOW_MS, CONSENSUS_INTERVAL_MS, GOSSIP_INTERVAL_MS, PEER_EXPIRY_MS.
`;

export class UsageError extends Error {
  readonly code = 'usage';
}

const FLAGS = {
  peers: { type: 'string', env: 'PEERS' },
  'udp-port': { type: 'string', env: 'UDP_PORT' },
  'udp-host': { type: 'string', env: 'UDP_HOST' },
  'advertise-host': { type: 'string', env: 'ADVERTISE_HOST' },
  difficulty: { type: 'string', env: 'DIFFICULTY' },
  'data-dir': { type: 'string', env: 'DATA_DIR' },
  name: { type: 'string', env: 'NODE_NAME' },
  validators: { type: 'string', env: 'VALIDATORS' },
  prefix: { type: 'string', env: 'NODE_PREFIX' },
  nats: { type: 'string', env: 'NATS_URL' },
  'bus-creds': { type: 'string', env: 'BUS_CREDS_DIR' },
  'log-dir': { type: 'string', env: 'LOG_DIR' },
  'log-level': { type: 'string', env: 'LOG_LEVEL' },
} as const;
type Flag = keyof typeof FLAGS;

function int(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max} (got ${JSON.stringify(text)})`);
  }
  return n;
}

function envInt(env: Record<string, string | undefined>, key: string, min: number, max: number) {
  const v = env[key];
  return v === undefined || v === '' ? undefined : int(key, v, min, max);
}

/** Flags win over env vars, which win over defaults. Pure: argv and env are passed in. */
export function parseRunArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): { help: true } | { help: false; options: NodeOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [k, { type: v.type }]));
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { help: true };
  const get = (flag: Flag): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[FLAGS[flag].env];
    return e === undefined || e === '' ? undefined : e;
  };
  const peers = (get('peers') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (peers.length === 0) throw new UsageError('--peers is required (host:port,host:port,...)');
  for (const p of peers) {
    if (!/^[A-Za-z0-9.-]{1,253}:\d{1,5}$/.test(p) && p !== 'umanitoba') {
      throw new UsageError(`--peers: "${p}" is not host:port`);
    }
  }
  const d = DEFAULT_NODE_OPTIONS;
  const udp = get('udp-port');
  const difficulty = get('difficulty');
  const validators = get('validators');
  const prefix = get('prefix') ?? d.prefix;
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new UsageError('--prefix may hold only letters, digits, _ and -');
  const nats = get('nats');
  if (nats !== undefined && !/^(nats|tls):\/\/[^,\s]+(,(nats|tls):\/\/[^,\s]+)*$/.test(nats))
    throw new UsageError('--nats must be a nats:// URL, or several separated by commas');
  const busCreds = get('bus-creds');
  if (busCreds !== undefined && nats === undefined)
    throw new UsageError('--bus-creds goes with --nats (the private server makes its own in DATA_DIR/bus)');
  return {
    help: false,
    options: {
      peers,
      udpPort: udp === undefined ? d.udpPort : int('udp-port', udp, 0, 65535),
      udpHost: get('udp-host'),
      advertiseHost: get('advertise-host') ?? d.advertiseHost,
      difficulty: difficulty === undefined ? d.difficulty : int('difficulty', difficulty, 0, 64),
      dataDir: get('data-dir') ?? d.dataDir,
      name: get('name') ?? d.name,
      validators: validators === undefined ? d.validators : int('validators', validators, 1, 64),
      prefix,
      natsUrl: nats,
      busCredsDir: busCreds,
      logDir: get('log-dir'),
      logLevel: get('log-level'),
      statsWindowMs: envInt(env, 'STATS_WINDOW_MS', 10, 60_000),
      consensusIntervalMs: envInt(env, 'CONSENSUS_INTERVAL_MS', 100, 3_600_000),
      gossipIntervalMs: envInt(env, 'GOSSIP_INTERVAL_MS', 10, 86_400_000),
      peerExpiryMs: envInt(env, 'PEER_EXPIRY_MS', 10, 86_400_000),
    },
  };
}
