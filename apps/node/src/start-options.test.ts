import { describe, expect, it } from 'vitest';
import { devnetAddresses, parseStartOptions, UsageError } from './start-options.js';

const parse = (args: string[], env: Record<string, string> = {}) => parseStartOptions(args, env, '/repo');

describe('npm start options', () => {
  it('defaults to a local-only node with a devnet at low difficulty', () => {
    const o = parse([])!;
    expect(o).toMatchObject({
      peers: [],
      devnet: true,
      udpPort: 8999,
      udpHost: '127.0.0.1',
      advertiseHost: '127.0.0.1',
      difficulty: 3,
      dataDir: '/repo/.data/devnet',
      httpPort: 8080,
      validators: 2,
      devnetBasePort: 9000,
    });
    expect(devnetAddresses(o)).toEqual(['127.0.0.1:9000', '127.0.0.1:9001', '127.0.0.1:9002']);
  });

  it('--peers joins a real network: no devnet, spec difficulty, every interface', () => {
    const o = parse(['--peers', 'umanitoba,10.0.0.5:8999'])!;
    expect(o).toMatchObject({
      peers: ['umanitoba', '10.0.0.5:8999'],
      devnet: false,
      difficulty: 8,
      udpHost: '0.0.0.0',
      advertiseHost: '',
      dataDir: '/repo/.data/node',
    });
    expect(parse(['--peers', '10.0.0.5:8999', '--devnet'])!.devnet).toBe(true);
  });

  it('reads environment variables, flags winning', () => {
    const env = { HTTP_PORT: '9090', NODE_NAME: 'env-name', VALIDATORS: '4' };
    expect(parse([], env)).toMatchObject({ httpPort: 9090, name: 'env-name', validators: 4 });
    expect(parse(['--http-port', '7000', '--name', 'flag'], env)).toMatchObject({
      httpPort: 7000,
      name: 'flag',
    });
  });

  it('rejects bad values with a message naming the flag', () => {
    const bad: [string[], RegExp][] = [
      [['--udp-port', '70000'], /--udp-port.*1\.\.65535/],
      [['--validators', '0'], /--validators/],
      [['--difficulty', 'x'], /--difficulty/],
      [['--peers', 'nohost'], /"nohost" is not host:port/],
      [['--no-devnet'], /needs --peers/],
      [['--devnet', '--no-devnet'], /not both/],
      [['--udp-port', '9001', '--devnet-base-port', '9000'], /devnet's ports/],
      [['--bogus'], /bogus/],
    ];
    for (const [args, why] of bad) {
      expect(() => parse(args), args.join(' ')).toThrow(UsageError);
      expect(() => parse(args), args.join(' ')).toThrow(why);
    }
  });

  it('--help returns null', () => {
    expect(parse(['--help'])).toBeNull();
  });
});
