import { isIPv4 } from 'node:net';
import type { PeerAddr } from '@chainsync/protocol';

export type HostVerdict =
  { ok: true } | { ok: false; reason: 'host_not_ip' | 'host_unroutable' | 'host_private' };

export interface HostPolicy {
  /** The operator's bootstrap peers (PEERS), as host:port: always accepted. */
  operatorAddrs: ReadonlySet<string>;
  /** Host names in PEERS (not IP literals): accepted on any port, sent to as given. */
  operatorNames: ReadonlySet<string>;
  /** Whether private and loopback addresses may be peers (see `allowPrivatePeers`). */
  allowPrivate: boolean;
}

/** ALLOW_PRIVATE_PEERS: `auto` (from the advertised host), `1` or `0`. */
export type AllowPrivateSetting = 'auto' | '1' | '0';

/**
 * Whether a host named inside a received GOSSIP / GOSSIP_REPLY may become a peer we send to. A
 * GOSSIP makes us send to the host inside it, so a name there would let any stranger make us run
 * DNS lookups (slow, and an abuse vector): we accept IPv4 literals (our socket is udp4) and the
 * names the operator gave us. Addresses that cannot be a peer (0.0.0.0/8, multicast, reserved,
 * broadcast) are refused, and so are private and loopback ones unless the node itself is on such
 * a network: a stranger must not aim us at the machines behind our own router or at our own host.
 */
export function checkGossipHost(addr: PeerAddr, policy: HostPolicy): HostVerdict {
  const { host } = addr;
  if (policy.operatorNames.has(host) || policy.operatorAddrs.has(`${host}:${addr.port}`)) return { ok: true };
  if (!isIPv4(host)) return { ok: false, reason: 'host_not_ip' };
  const first = Number(host.slice(0, host.indexOf('.')));
  if (first === 0 || first >= 224) return { ok: false, reason: 'host_unroutable' };
  if (!policy.allowPrivate && isPrivateOrLoopback(host)) return { ok: false, reason: 'host_private' };
  return { ok: true };
}

/**
 * 10/8, 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (carrier-grade NAT, RFC 6598), 169.254/16
 * (link-local) and 127/8 (loopback). `ip` must be an IPv4 literal.
 */
export function isPrivateOrLoopback(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254)
  );
}

/** `auto`: allowed when our advertised host is private or loopback (a LAN, a devnet, tests). */
export function allowPrivatePeers(setting: AllowPrivateSetting, advertiseHost: string): boolean {
  if (setting !== 'auto') return setting === '1';
  return advertiseHost === 'localhost' || (isIPv4(advertiseHost) && isPrivateOrLoopback(advertiseHost));
}

/** The policy for a node with these bootstrap peers. */
export function hostPolicy(bootstrap: readonly PeerAddr[], allowPrivate: boolean): HostPolicy {
  return {
    operatorAddrs: new Set(bootstrap.map((p) => `${p.host}:${p.port}`)),
    operatorNames: new Set(bootstrap.filter((p) => !isIPv4(p.host)).map((p) => p.host)),
    allowPrivate,
  };
}
