import { describe, expect, it } from 'vitest';
import { parseRunArgs, UsageError } from './run-options.js';

const opts = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseRunArgs(argv, env);
  if (r.help) throw new Error('unexpected help');
  return r.options;
};

describe('parseRunArgs', () => {
  it('reads every flag, with defaults for the rest', () => {
    expect(
      opts([
        '--peers',
        '127.0.0.1:9001,127.0.0.1:9002',
        '--udp-port',
        '7000',
        '--advertise-host',
        '10.0.0.5',
        '--difficulty',
        '2',
        '--data-dir',
        '/tmp/x',
        '--name',
        'n1',
        '--validators',
        '3',
        '--prefix',
        'test_1',
        '--nats',
        'nats://127.0.0.1:4333',
        '--log-dir',
        '/tmp/logs',
      ]),
    ).toMatchObject({
      peers: ['127.0.0.1:9001', '127.0.0.1:9002'],
      udpPort: 7000,
      advertiseHost: '10.0.0.5',
      difficulty: 2,
      dataDir: '/tmp/x',
      name: 'n1',
      validators: 3,
      prefix: 'test_1',
      natsUrl: 'nats://127.0.0.1:4333',
      logDir: '/tmp/logs',
    });
    expect(opts(['--peers', 'h:1'])).toMatchObject({
      udpPort: 8999,
      difficulty: 8,
      validators: 2,
      prefix: 'chain',
    });
  });

  it('takes env equivalents, and flags win over them', () => {
    const env = {
      PEERS: 'h:1',
      UDP_PORT: '7001',
      DIFFICULTY: '3',
      VALIDATORS: '4',
      NODE_PREFIX: 'p',
      STATS_WINDOW_MS: '300',
    };
    expect(opts([], env)).toMatchObject({
      peers: ['h:1'],
      udpPort: 7001,
      difficulty: 3,
      validators: 4,
      prefix: 'p',
      statsWindowMs: 300,
    });
    expect(opts(['--difficulty', '5'], env).difficulty).toBe(5);
  });

  it('refuses bad values with a usage error naming the flag', () => {
    expect(() => opts([])).toThrow(/--peers is required/);
    expect(() => opts(['--peers', 'h:1', '--udp-port', 'x'])).toThrow(UsageError);
    expect(() => opts(['--peers', 'h:1', '--validators', '0'])).toThrow(/--validators/);
    expect(() => opts(['--peers', 'nope'])).toThrow(/not host:port/);
    expect(() => opts(['--peers', 'h:1', '--bogus'])).toThrow(UsageError);
    expect(parseRunArgs(['--help'], {})).toEqual({ help: true });
  });

  it('takes a cluster as every server, and credentials only with --nats', () => {
    const urls = 'nats://10.0.0.1:4222,nats://10.0.0.2:4222,tls://10.0.0.3:4222';
    expect(opts(['--peers', 'h:1', '--nats', urls, '--bus-creds', '/etc/cs'])).toMatchObject({
      natsUrl: urls,
      busCredsDir: '/etc/cs',
    });
    expect(() => opts(['--peers', 'h:1', '--nats', 'nats://a:1,'])).toThrow(/--nats/);
    expect(() => opts(['--peers', 'h:1', '--nats', 'nats://a:1,http://b:2'])).toThrow(/--nats/);
    expect(() => opts(['--peers', 'h:1', '--bus-creds', '/etc/cs'])).toThrow(/--bus-creds goes with --nats/);
  });
});
