import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUS_ROLES, DEFAULT_NODE_PREFIX } from '@chainsync/protocol';
import {
  ensureBusCredentials,
  nkeyFile,
  writeServerConfig,
  type ServerConfigOptions,
} from './bus-credentials.js';
import { parseOrExit } from './cli.js';
import { UsageError } from './run-options.js';

export const BUS_AUTH_USAGE = `usage: npm run bus-auth -- --out DIR [flags]

Makes the credentials of a node's bus, one NKey user per role (${BUS_ROLES.join(', ')}),
in DIR/<role>.nk (kept when they exist), and DIR/nats-server.conf: a whole nats-server
configuration that admits those users only, each with the permissions the subject table
(libs/protocol/src/subjects.ts) gives its role. Give each service its own file (NATS_NKEY_FILE,
or --nkey of \`npm run service\`) and start nats-server with -c DIR/nats-server.conf.

  --out DIR            where the keys and the configuration go (made private, 0700)
  --prefix P           the node's subject prefix (default ${DEFAULT_NODE_PREFIX})
  --port N             client port (default 4222)
  --http-port N        monitoring port: /healthz, /varz, /connz (default 8222)
  --cluster NAME       a cluster's configuration: route authentication, and
  --routes H:P,…       every server's route address (its own included)
  --cluster-port N     route port (default 6222)
  --tls-cert FILE      TLS for clients and routes: the server's certificate,
  --tls-key FILE       its key,
  --tls-ca FILE        the CA that signed the other servers' (and clients') certificates
  --tls-verify         also require a client certificate signed by that CA
  --copy-keys DIR      also copy each role's key to DIR/<role>/<role>.nk where DIR/<role>
                       exists (compose gives every service its own volume, and so its key only)
  --help               this text
`;

export interface BusAuthOptions {
  out: string;
  config: ServerConfigOptions;
  copyKeys?: string;
}

function int(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`--${flag} must be a port (got ${v})`);
  return n;
}

/** Pure. */
export function parseBusAuthArgs(argv: string[]): { help: true } | { help: false; options: BusAuthOptions } {
  let values;
  try {
    const str = { type: 'string' } as const;
    values = parseArgs({
      args: argv,
      options: {
        out: str,
        prefix: str,
        port: str,
        'http-port': str,
        cluster: str,
        routes: str,
        'cluster-port': str,
        'tls-cert': str,
        'tls-key': str,
        'tls-ca': str,
        'tls-verify': { type: 'boolean' },
        'copy-keys': str,
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { help: true };
  if (!values.out) throw new UsageError('--out DIR is required');
  const prefix = values.prefix ?? DEFAULT_NODE_PREFIX;
  if (!/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new UsageError('--prefix may hold only letters, digits, _ and -');
  if ((values.cluster === undefined) !== (values.routes === undefined))
    throw new UsageError('--cluster and --routes go together');
  const routes = values.routes?.split(',').filter(Boolean) ?? [];
  for (const r of routes)
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(r)) throw new UsageError(`--routes: "${r}" is not host:port`);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (values['tls-verify'] && !values['tls-ca']) throw new UsageError('--tls-verify needs --tls-ca');
  const tlsCert = values['tls-cert'];
  const tlsKey = values['tls-key'];
  return {
    help: false,
    options: {
      out: values.out,
      copyKeys: values['copy-keys'],
      config: {
        prefix,
        port: int('port', values.port, 4222),
        httpPort: int('http-port', values['http-port'], 8222),
        ...(tlsCert && tlsKey
          ? {
              tls: {
                certFile: tlsCert,
                keyFile: tlsKey,
                caFile: values['tls-ca'],
                verifyClients: values['tls-verify'] === true,
              },
            }
          : {}),
        ...(values.cluster
          ? {
              cluster: {
                name: values.cluster,
                port: int('cluster-port', values['cluster-port'], 6222),
                routes,
              },
            }
          : {}),
      },
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const opts = parseOrExit('bus-auth', BUS_AUTH_USAGE, () => parseBusAuthArgs(args));
  if (!opts) return;
  const { out, config, copyKeys } = opts;
  const creds = ensureBusCredentials(out);
  const file = writeServerConfig(creds, config);
  const copied: string[] = [];
  for (const role of BUS_ROLES) {
    if (copyKeys && existsSync(join(copyKeys, role))) {
      copyFileSync(nkeyFile(out, role), join(copyKeys, role, `${role}.nk`));
      copied.push(role);
    }
  }
  process.stdout.write(
    `chainsync bus-auth: ${file} (prefix ${config.prefix}${config.cluster ? `, cluster ${config.cluster.name}` : ''}${config.tls ? ', TLS' : ''}); ` +
      `keys ${BUS_ROLES.map((r) => `${r}=${nkeyFile(out, r)}`).join(' ')}` +
      (copied.length > 0 ? `; copied to ${copyKeys}/<role>/ for ${copied.join(', ')}` : '') +
      '\n',
  );
}
