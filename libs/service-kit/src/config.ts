import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_NODE_PREFIX } from '@chainsync/protocol';

/** Settings every service reads. */
export const CommonConfig = Type.Object({
  /** One server, or a cluster's: `nats://a:4222,nats://b:4222` (the client moves on when one dies). */
  NATS_URL: Type.String({
    default: 'nats://127.0.0.1:4222',
    pattern: '^(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*$',
  }),
  /** Credentials and TLS, each a file (bus-auth.ts): nothing secret in the environment. */
  NATS_NKEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  NATS_CREDS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  NATS_TLS_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  NATS_TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  NATS_TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  NODE_PREFIX: Type.String({ default: DEFAULT_NODE_PREFIX, pattern: '^[A-Za-z0-9_-]+$' }),
  NODE_NAME: Type.String({ default: 'chainsync', minLength: 1, maxLength: 64 }),
  OPS_HOST: Type.String({ default: '127.0.0.1' }),
  /** 0 picks a free port (tests); each service has its own default. */
  OPS_PORT: Type.Integer({ minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});
export type CommonConfig = Static<typeof CommonConfig>;

export class ConfigError extends Error {
  readonly code = 'bad_config';
}

/**
 * Reads env vars against a schema: defaults applied, strings converted to numbers and booleans.
 * Throws a ConfigError whose message names the variable, its value and what was expected.
 */
export function readConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const value = Value.Convert(schema, Value.Default(schema, raw));
  const first = Value.Errors(schema, value).First();
  if (first) {
    const name = first.path.split('/')[1] || first.path;
    const given = env[name];
    throw new ConfigError(
      `config error: ${name}=${given === undefined ? '(unset)' : JSON.stringify(given)} — expected ${describe(first.schema)}`,
    );
  }
  return value as Static<T>;
}

function describe(schema: Record<string, unknown>): string {
  if (schema.description) return String(schema.description);
  const bits = [String(schema.type ?? (schema.anyOf ? 'one of the listed values' : 'a valid value'))];
  if (schema.minimum !== undefined) bits.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) bits.push(`≤ ${schema.maximum}`);
  if (schema.pattern) bits.push(`matching ${schema.pattern}`);
  if (schema.anyOf) bits.push((schema.anyOf as { const?: unknown }[]).map((s) => s.const).join('|'));
  return bits.join(' ');
}

/** Merges the common settings with a service's own, with the service's ops port default. */
export function serviceConfigSchema<P extends TProperties>(own: TObject<P>, defaultOpsPort: number) {
  return Type.Composite([
    Type.Omit(CommonConfig, ['OPS_PORT']),
    Type.Object({ OPS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: defaultOpsPort }) }),
    own,
  ]);
}
