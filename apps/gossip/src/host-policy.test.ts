import { describe, expect, it } from 'vitest';
import { allowPrivatePeers, checkGossipHost, hostPolicy, isPrivateOrLoopback } from './host-policy.js';

const at = (host: string, port = 8999) => ({ host, port });

describe('checkGossipHost', () => {
  const open = hostPolicy([at('silicon.cs.umanitoba.ca')], true);
  it('accepts IPv4 literals and operator-given names', () => {
    expect(checkGossipHost(at('127.0.0.1'), open).ok).toBe(true);
    expect(checkGossipHost(at('192.168.0.27'), open).ok).toBe(true);
    expect(checkGossipHost(at('130.179.28.37'), open).ok).toBe(true);
    expect(checkGossipHost(at('silicon.cs.umanitoba.ca', 1234), open).ok).toBe(true);
  });
  it('refuses names a stranger made up, and unroutable addresses', () => {
    expect(checkGossipHost(at('example.org'), open)).toEqual({ ok: false, reason: 'host_not_ip' });
    expect(checkGossipHost(at('::1'), open)).toEqual({ ok: false, reason: 'host_not_ip' });
    expect(checkGossipHost(at('0.0.0.0'), open)).toEqual({ ok: false, reason: 'host_unroutable' });
    expect(checkGossipHost(at('255.255.255.255'), open)).toEqual({ ok: false, reason: 'host_unroutable' });
    expect(checkGossipHost(at('239.1.2.3'), open)).toEqual({ ok: false, reason: 'host_unroutable' });
  });
  it('refuses private and loopback hosts on a public node, except the exact bootstrap peers', () => {
    const pub = hostPolicy([at('10.0.0.5', 9000)], false);
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '10.9.9.9',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.1.1',
    ]) {
      expect(checkGossipHost(at(h), pub)).toEqual({ ok: false, reason: 'host_private' });
    }
    expect(checkGossipHost(at('10.0.0.5', 9000), pub).ok).toBe(true);
    expect(checkGossipHost(at('10.0.0.5', 9001), pub)).toEqual({ ok: false, reason: 'host_private' });
    expect(checkGossipHost(at('172.32.0.1'), pub).ok).toBe(true);
    expect(checkGossipHost(at('100.128.0.1'), pub).ok).toBe(true);
  });
});

describe('isPrivateOrLoopback / allowPrivatePeers', () => {
  it('knows the private, CGNAT, link-local and loopback ranges', () => {
    expect(
      ['10.0.0.1', '172.20.0.1', '192.168.0.1', '100.100.0.1', '169.254.0.1', '127.0.0.1'].every(
        isPrivateOrLoopback,
      ),
    ).toBe(true);
    expect(['11.0.0.1', '172.15.0.1', '192.169.0.1', '100.63.0.1', '8.8.8.8'].some(isPrivateOrLoopback)).toBe(
      false,
    );
  });
  it('auto allows them when we advertise a private or loopback address; 1 and 0 force it', () => {
    expect(allowPrivatePeers('auto', '127.0.0.1')).toBe(true);
    expect(allowPrivatePeers('auto', '192.168.1.20')).toBe(true);
    expect(allowPrivatePeers('auto', '203.0.113.7')).toBe(false);
    expect(allowPrivatePeers('1', '203.0.113.7')).toBe(true);
    expect(allowPrivatePeers('0', '127.0.0.1')).toBe(false);
  });
});
