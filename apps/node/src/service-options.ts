import { parseArgs } from 'node:util';
import { DEFAULT_NODE_PREFIX } from '@chainsync/protocol';
import { busAuthEnv } from '@chainsync/service-kit';
import { UsageError } from './run-options.js';

/** The services a node is made of, with each one's default ops port (its `defaultOpsPort`). */
export const SERVICE_OPS_PORTS = {
  gossip: 9101,
  consensus: 9102,
  validator: 9103,
  'chain-store': 9104,
  api: 8080,
} as const;
export type ServiceApp = keyof typeof SERVICE_OPS_PORTS;

export const SERVICE_USAGE = `usage: npm run service -- NAME [flags]

Runs one service of a node alone, against a NATS server or cluster that may be on another
machine — typically more validators for a node elsewhere:

  npm run service -- validator --nats nats://10.0.0.1:4222 --nkey ./validator.nk --count 2

NAME is validator, gossip, consensus, chain-store or api. The processes are restarted when they
die; Ctrl-C (SIGINT) or SIGTERM stops them. Every flag has an environment variable; the flag wins.

  --nats URL[,URL…]     the node's NATS server, or every server of its cluster    NATS_URL
  --nkey FILE           this service's key (FILE is <role>.nk from              NATS_NKEY_FILE
                        \`npm run bus-auth\`; the node's DATA_DIR/bus has them)
  --creds FILE          a .creds file, where the NATS operator issues them       NATS_CREDS_FILE
  --tls-ca FILE         check the server's TLS certificate against this CA     NATS_TLS_CA_FILE
  --tls-cert FILE       client certificate, when the server asks for one       NATS_TLS_CERT_FILE
  --tls-key FILE        its key                                                NATS_TLS_KEY_FILE
  --prefix P            the node's subject prefix (default ${DEFAULT_NODE_PREFIX})                 NODE_PREFIX
  --name NAME           node name in logs and metrics (default chainsync)     NODE_NAME
  --count N             processes (validator only; default 1)                 COUNT
  --ops-host H          address of the /healthz /readyz /metrics server       OPS_HOST
                        (default 127.0.0.1; 0.0.0.0 for a Prometheus elsewhere)
  --ops-port N          its port (default the service's: validator ${SERVICE_OPS_PORTS.validator}, …);  OPS_PORT
                        the next processes take the next ports
  --log-level L         fatal|error|warn|info|debug|trace|silent              LOG_LEVEL
  --help                this text

Each service's own settings come from the environment as its README says (chain-store DATA_DIR;
gossip UDP_PORT, PEERS, ADVERTISE_HOST; consensus DIFFICULTY; …).
`;

const FLAGS = {
  nats: { env: 'NATS_URL' },
  nkey: { env: 'NATS_NKEY_FILE' },
  creds: { env: 'NATS_CREDS_FILE' },
  'tls-ca': { env: 'NATS_TLS_CA_FILE' },
  'tls-cert': { env: 'NATS_TLS_CERT_FILE' },
  'tls-key': { env: 'NATS_TLS_KEY_FILE' },
  prefix: { env: 'NODE_PREFIX' },
  name: { env: 'NODE_NAME' },
  count: { env: 'COUNT' },
  'ops-host': { env: 'OPS_HOST' },
  'ops-port': { env: 'OPS_PORT' },
  'log-level': { env: 'LOG_LEVEL' },
} as const;

export interface ServiceOptions {
  app: ServiceApp;
  count: number;
  /** One per process: the first, then the next ones. */
  opsPorts: number[];
  /** What every process gets on top of this process's environment. */
  env: Record<string, string>;
}

const MAX_COUNT = 64;

/** Pure: flags win over env vars, which win over defaults. */
export function parseServiceArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): { help: true } | { help: false; options: ServiceOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }])),
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) return { help: true };
  const get = (flag: keyof typeof FLAGS): string | undefined => {
    const v = (parsed.values as Record<string, string | boolean | undefined>)[flag];
    if (typeof v === 'string') return v;
    const e = env[FLAGS[flag].env];
    return e === undefined || e === '' ? undefined : e;
  };
  const [app, ...extra] = parsed.positionals;
  if (!app || !(app in SERVICE_OPS_PORTS))
    throw new UsageError(
      `name a service: ${Object.keys(SERVICE_OPS_PORTS).join(', ')} (got ${app ?? 'none'})`,
    );
  if (extra.length > 0) throw new UsageError(`one service at a time (also got ${extra.join(' ')})`);
  const nats = get('nats');
  if (!nats) throw new UsageError('--nats is required: the NATS server (or cluster) of the node');
  if (!/^(nats|tls):\/\/[^,\s]+(,(nats|tls):\/\/[^,\s]+)*$/.test(nats))
    throw new UsageError('--nats must be a nats:// URL, or several separated by commas');
  const count = integer('count', get('count') ?? '1', 1, MAX_COUNT);
  if (count > 1 && app !== 'validator')
    throw new UsageError(`--count: only validators run as several processes (a node has one ${app})`);
  const first = integer(
    'ops-port',
    get('ops-port') ?? String(SERVICE_OPS_PORTS[app as ServiceApp]),
    1,
    65535,
  );
  if (first + count - 1 > 65535) throw new UsageError('--ops-port: not enough ports above it for --count');
  const prefix = get('prefix') ?? DEFAULT_NODE_PREFIX;
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new UsageError('--prefix may hold only letters, digits, _ and -');
  const optional = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
  const tls = { caFile: get('tls-ca'), certFile: get('tls-cert'), keyFile: get('tls-key') };
  return {
    help: false,
    options: {
      app: app as ServiceApp,
      count,
      opsPorts: Array.from({ length: count }, (_, i) => first + i),
      env: {
        NATS_URL: nats,
        NODE_PREFIX: prefix,
        OPS_HOST: get('ops-host') ?? '127.0.0.1',
        ...optional('NODE_NAME', get('name')),
        ...optional('LOG_LEVEL', get('log-level')),
        ...busAuthEnv({
          nkeyFile: get('nkey'),
          credsFile: get('creds'),
          tls: tls.caFile || tls.certFile || tls.keyFile ? tls : undefined,
        }),
      },
    },
  };
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max)
    throw new UsageError(`--${flag} must be an integer in ${min}..${max} (got ${JSON.stringify(text)})`);
  return n;
}
