import { describe, expect, it } from 'vitest';
import { checkGossipHost } from './host-policy.js';

describe('checkGossipHost', () => {
  const names = new Set(['silicon.cs.umanitoba.ca']);
  it('accepts IPv4 literals and operator-given names', () => {
    expect(checkGossipHost('127.0.0.1', names).ok).toBe(true);
    expect(checkGossipHost('192.168.0.27', names).ok).toBe(true);
    expect(checkGossipHost('silicon.cs.umanitoba.ca', names).ok).toBe(true);
  });
  it('refuses names a stranger made up, and unroutable addresses', () => {
    expect(checkGossipHost('example.org', names)).toEqual({ ok: false, reason: 'host_not_ip' });
    expect(checkGossipHost('::1', names)).toEqual({ ok: false, reason: 'host_not_ip' });
    expect(checkGossipHost('0.0.0.0', names)).toEqual({ ok: false, reason: 'host_unroutable' });
    expect(checkGossipHost('255.255.255.255', names)).toEqual({ ok: false, reason: 'host_unroutable' });
    expect(checkGossipHost('239.1.2.3', names)).toEqual({ ok: false, reason: 'host_unroutable' });
  });
});
