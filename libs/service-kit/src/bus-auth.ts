import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Prefix } from '@nats-io/nkeys';
import { Codec } from '@nats-io/nkeys/lib/codec.js';
import { credsAuthenticator, type Authenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
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

/** The DER header of an Ed25519 private key in PKCS#8; the key's 32-byte seed follows it. */
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An NKey user seed (`SU…`) as Node's Ed25519 key, with its public key in NKey form (`U…`). */
export function nkeyFromSeed(seed: Uint8Array): { key: KeyObject; publicKey: string } {
  const { prefix, buf } = Codec.decodeSeed(seed); // checks the encoding, the CRC and the seed prefix
  if (prefix !== Prefix.User) throw new BusAuthError('the NKey seed is not a user seed (SU…)');
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_HEADER, buf]),
    format: 'der',
    type: 'pkcs8',
  });
  const raw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
  return { key, publicKey: new TextDecoder().decode(Codec.encode(Prefix.User, raw)) };
}

/**
 * Signs the server's nonce as nats.js's `nkeyAuthenticator` does, with Node's Ed25519 instead of
 * its JavaScript one (tweetnacl): that took ~60 ms of CPU per connection (~40 to derive the public
 * key, ~20 to sign), paid by every service at every start and reconnect; this takes microseconds.
 */
export function nkeySigner(seed: Uint8Array): Authenticator {
  const { key, publicKey } = nkeyFromSeed(seed);
  return (nonce?: string) => ({
    nkey: publicKey,
    sig: nonce ? sign(null, new TextEncoder().encode(nonce), key).toString('base64') : '',
  });
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
  if (auth?.nkeyFile) authenticator.push(nkeySigner(readNkeySeed(auth.nkeyFile)));
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
