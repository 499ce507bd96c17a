import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { inboxPrefix, type BusRole } from '@chainsync/protocol';

/**
 * How a client proves who it is to NATS and checks the server, all from files so no secret sits
 * in the environment or a command line: an NKey seed (`chainsync bus-auth` makes one per role), or
 * the `.creds` file of an operator-managed NATS; a CA to check a TLS server, and a certificate and
 * key when the server asks for one.
 */
export interface BusAuth {
  nkeyFile?: string;
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** The BusAuth an environment names (`NATS_NKEY_FILE`, `NATS_CREDS_FILE`, `NATS_TLS_*_FILE`). */
export function busAuthFromEnv(env: Record<string, string | undefined>): BusAuth {
  const v = (k: string) => (env[k] ? env[k] : undefined);
  const tls = {
    caFile: v('NATS_TLS_CA_FILE'),
    certFile: v('NATS_TLS_CERT_FILE'),
    keyFile: v('NATS_TLS_KEY_FILE'),
  };
  return {
    nkeyFile: v('NATS_NKEY_FILE'),
    credsFile: v('NATS_CREDS_FILE'),
    tls: tls.caFile || tls.certFile || tls.keyFile ? tls : undefined,
  };
}

/** The environment that gives a child process `auth` (the inverse of busAuthFromEnv). */
export function busAuthEnv(auth: BusAuth | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => v && (out[k] = v);
  set('NATS_NKEY_FILE', auth?.nkeyFile);
  set('NATS_CREDS_FILE', auth?.credsFile);
  set('NATS_TLS_CA_FILE', auth?.tls?.caFile);
  set('NATS_TLS_CERT_FILE', auth?.tls?.certFile);
  set('NATS_TLS_KEY_FILE', auth?.tls?.keyFile);
  return out;
}

/** A credential or TLS file that cannot be read or holds no key: a setup error, reported by name. */
export class BusAuthError extends Error {
  readonly code = 'bad_bus_auth';
}

function readAuthFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new BusAuthError(
      `cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

/** `nats://a:4222,nats://b:4222` → each server, so a client can go on to the next when one dies. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The seed in an NKey file: the `SU…` line (a file may carry comments or a trailing newline). */
export function readNkeySeed(file: string): Uint8Array {
  const seed = readAuthFile('NKey', file)
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^SU[A-Z2-7]+$/.test(l));
  if (!seed) throw new BusAuthError(`${file} holds no NKey user seed (a line starting SU)`);
  return new TextEncoder().encode(seed);
}

/**
 * Connection options for one client of a node's bus: its servers, its name, the inbox its role's
 * permissions allow (bus-permissions.ts), and its credentials and TLS from `auth`. Files are read
 * here, once, so a missing one fails the start with its name instead of every reconnect.
 */
export function natsConnectOptions(opts: {
  url: string;
  name: string;
  role: BusRole;
  prefix: string;
  auth?: BusAuth;
}): NodeConnectionOptions {
  const { auth } = opts;
  const authenticator: Authenticator[] = [];
  if (auth?.nkeyFile) authenticator.push(nkeyAuthenticator(readNkeySeed(auth.nkeyFile)));
  if (auth?.credsFile) authenticator.push(credsAuthenticator(readAuthFile('NATS creds', auth.credsFile)));
  const tls = auth?.tls;
  return {
    servers: natsServers(opts.url),
    name: opts.name,
    inboxPrefix: inboxPrefix(opts.prefix, opts.role),
    ...(authenticator.length > 0 ? { authenticator } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.caFile ? { ca: readAuthFile('TLS CA', tls.caFile).toString('utf8') } : {}),
            ...(tls.certFile ? { cert: readAuthFile('TLS certificate', tls.certFile).toString('utf8') } : {}),
            ...(tls.keyFile ? { key: readAuthFile('TLS key', tls.keyFile).toString('utf8') } : {}),
          },
        }
      : {}),
  };
}
