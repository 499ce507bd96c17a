import { describe, expect, it } from 'vitest';
import { parseProbeArgs } from './args.js';

describe('probe arguments', () => {
  it('takes HOST:PORT and the options, with the network defaults', () => {
    expect(parseProbeArgs(['127.0.0.1:8999'])).toMatchObject({
      target: { host: '127.0.0.1', port: 8999 },
      difficulty: 8,
      json: false,
      full: false,
      robustness: false,
      gossip: true,
      ratePerS: 50,
      reference: null,
    });
    expect(
      parseProbeArgs([
        'eagle.cs.umanitoba.ca:8999',
        '--difficulty',
        '9',
        '--json',
        '--full',
        '--robustness',
        '--reference',
        '10.0.0.2:8999',
        '--rate',
        '200',
        '--no-gossip',
      ]),
    ).toMatchObject({
      target: { host: 'eagle.cs.umanitoba.ca', port: 8999 },
      difficulty: 9,
      json: true,
      full: true,
      robustness: true,
      gossip: false,
      ratePerS: 200,
      reference: { host: '10.0.0.2', port: 8999 },
    });
  });

  it('refuses what it cannot use, with a usage error', () => {
    for (const bad of [
      [],
      ['a:1', 'b:2'],
      ['nohost'],
      ['h:0'],
      ['h:70000'],
      ['[::1]:8999'],
      ['h:1', '--rate', '5000'],
      ['h:1', '--difficulty', 'x'],
    ])
      expect(() => parseProbeArgs(bad), bad.join(' ')).toThrow();
    expect(() => parseProbeArgs(['h:1', '--bogus'])).toThrow(/bogus/);
    expect(parseProbeArgs(['--help']).help).toBe(true);
  });
});
