import { isIPv4 } from 'node:net';

export type HostVerdict = { ok: true } | { ok: false; reason: 'host_not_ip' | 'host_unroutable' };

/**
 * Which hosts named inside a received GOSSIP / GOSSIP_REPLY we will send to. A GOSSIP makes us
 * send to the host inside it, so a name there would let any stranger make us run DNS lookups
 * (slow, and an abuse vector). We accept IPv4 literals (our socket is udp4), plus the names the
 * operator gave us in PEERS; every other name is dropped and counted. Addresses that cannot be a
 * peer (0.0.0.0/8, multicast, reserved, broadcast) are refused too.
 */
export function checkGossipHost(host: string, operatorNames: ReadonlySet<string>): HostVerdict {
  if (operatorNames.has(host)) return { ok: true };
  if (!isIPv4(host)) return { ok: false, reason: 'host_not_ip' };
  const first = Number(host.slice(0, host.indexOf('.')));
  if (first === 0 || first >= 224) return { ok: false, reason: 'host_unroutable' };
  return { ok: true };
}
