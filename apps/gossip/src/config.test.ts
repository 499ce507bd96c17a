import { describe, expect, it } from 'vitest';
import { ConfigError } from '@chainsync/service-kit';
import { UMANITOBA_PEERS, localAddresses, parsePeers } from './config.js';

describe('parsePeers', () => {
  it('reads host:port lists, de-duplicated', () => {
    expect(parsePeers('127.0.0.1:9001, 127.0.0.1:9002,127.0.0.1:9001')).toEqual([
      { host: '127.0.0.1', port: 9001 },
      { host: '127.0.0.1', port: 9002 },
    ]);
  });
  it('expands the umanitoba preset to the five well-known hosts on 8999', () => {
    expect(parsePeers('umanitoba')).toEqual(UMANITOBA_PEERS);
    expect(UMANITOBA_PEERS.map((p) => p.host)).toContain('silicon.cs.umanitoba.ca');
    expect(parsePeers('umanitoba,10.0.0.1:1')).toHaveLength(6);
  });
  it('names the bad entry', () => {
    expect(() => parsePeers('127.0.0.1')).toThrow(ConfigError);
    expect(() => parsePeers('a:0')).toThrow(/"a:0"/);
    expect(() => parsePeers(' , ')).toThrow(/empty/);
  });
});

describe('localAddresses', () => {
  it('always knows loopback as us', () => {
    expect(localAddresses().all.has('127.0.0.1')).toBe(true);
  });
});
