import { describe, expect, it } from 'vitest';
import { UsageError } from './run-options.js';
import { parseServiceArgs } from './service-options.js';

const opts = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseServiceArgs(argv, env);
  if (r.help) throw new Error('unexpected help');
  return r.options;
};

describe('parseServiceArgs', () => {
  it('runs validators against a remote NATS with their key, on consecutive ops ports', () => {
    expect(
      opts([
        'validator',
        '--nats',
        'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
        '--nkey',
        '/k/validator.nk',
        '--count',
        '3',
      ]),
    ).toEqual({
      app: 'validator',
      count: 3,
      opsPorts: [9103, 9104, 9105],
      env: {
        NATS_URL: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
        NODE_PREFIX: 'chain',
        OPS_HOST: '127.0.0.1',
        NATS_NKEY_FILE: '/k/validator.nk',
      },
    });
  });

  it('takes env equivalents, flags winning, and TLS files', () => {
    const env = {
      NATS_URL: 'tls://h:4222',
      NODE_PREFIX: 'n1',
      OPS_PORT: '7000',
      NATS_TLS_CA_FILE: '/ca.pem',
    };
    expect(opts(['api'], env)).toMatchObject({
      opsPorts: [7000],
      env: { NATS_URL: 'tls://h:4222', NODE_PREFIX: 'n1', NATS_TLS_CA_FILE: '/ca.pem' },
    });
    expect(opts(['api', '--prefix', 'n2', '--ops-host', '0.0.0.0'], env).env).toMatchObject({
      NODE_PREFIX: 'n2',
      OPS_HOST: '0.0.0.0',
    });
  });

  it('refuses what cannot run', () => {
    expect(() => opts([])).toThrow(/name a service/);
    expect(() => opts(['devnet', '--nats', 'nats://h:1'])).toThrow(/name a service/);
    expect(() => opts(['validator'])).toThrow(/--nats is required/);
    expect(() => opts(['validator', '--nats', 'http://h:1'])).toThrow(/--nats/);
    expect(() => opts(['chain-store', '--nats', 'nats://h:1', '--count', '2'])).toThrow(/only validators/);
    expect(() => opts(['validator', 'gossip', '--nats', 'nats://h:1'])).toThrow(UsageError);
    expect(() => opts(['validator', '--nats', 'nats://h:1', '--ops-port', '65535', '--count', '2'])).toThrow(
      /--ops-port/,
    );
    expect(parseServiceArgs(['--help'], {})).toEqual({ help: true });
  });
});
