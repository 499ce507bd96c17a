import { describe, expect, it } from 'vitest';
import { ConfigError } from '@chainsync/service-kit';
import { UMANITOBA_PEERS, defaultAdvertiseHost, localAddresses, parsePeers } from './config.js';

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

describe('defaultAdvertiseHost', () => {
  it('advertises loopback when every bootstrap peer is on loopback, else the external address', () => {
    const local = [
      { host: '127.0.0.1', port: 9000 },
      { host: 'localhost', port: 9001 },
    ];
    expect(defaultAdvertiseHost(local, '10.1.2.3')).toBe('127.0.0.1');
    expect(defaultAdvertiseHost([...local, { host: '203.0.113.5', port: 8999 }], '10.1.2.3')).toBe(
      '10.1.2.3',
    );
    expect(defaultAdvertiseHost([{ host: 'eagle.cs.umanitoba.ca', port: 8999 }], undefined)).toBe(
      '127.0.0.1',
    );
  });
});
