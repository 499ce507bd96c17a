import { networkInterfaces } from 'node:os';
import { Type } from '@sinclair/typebox';
import { ConfigError } from '@chainsync/service-kit';
import type { PeerAddr } from '@chainsync/protocol';
import {
  GOSSIP_INTERVAL_MS,
  GOSSIP_TOTAL_BURST,
  GOSSIP_TOTAL_PER_S,
  HOST_SEND_BURST_BYTES,
  HOST_SEND_BYTES_PER_S,
  MAX_PEERS,
  MAX_PEERS_PER_HOST,
  PEER_EXPIRY_MS,
  PROVEN_SEND_BURST_BYTES,
  PROVEN_SEND_BYTES_PER_S,
  REPLY_TOTAL_BURST_BYTES,
  REPLY_TOTAL_BYTES_PER_S,
  UNPROVEN_ALLOWANCE_BYTES,
  UNPROVEN_ALLOWANCE_BYTES_PER_S,
  UNPROVEN_AMPLIFICATION,
  UNPROVEN_TOTAL_BURST_BYTES,
  UNPROVEN_TOTAL_BYTES_PER_S,
} from './limits.js';

/** The spec's well-known hosts (SPEC §1); only used when the operator names the preset. */
export const UMANITOBA_PRESET = 'umanitoba';
export const UMANITOBA_PEERS: readonly PeerAddr[] = ['silicon', 'eagle', 'hawk', 'goose', 'grebe'].map(
  (h) => ({ host: `${h}.cs.umanitoba.ca`, port: 8999 }),
);

const Ms = (def: number) => Type.Integer({ minimum: 10, maximum: 24 * 3600_000, default: def });
const Bytes = (def: number, minimum = 1024) => Type.Integer({ minimum, maximum: 2 ** 31, default: def });

export const GossipConfig = Type.Object({
  UDP_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8999 }),
  /** Bind address; 0.0.0.0 serves every interface, tests use 127.0.0.1. */
  UDP_HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  /** The host we put in our GOSSIP; empty = the first non-internal IPv4 address. */
  ADVERTISE_HOST: Type.String({ default: '' }),
  PEERS: Type.String({
    minLength: 1,
    description: `bootstrap peers as host:port,host:port,... or the preset "${UMANITOBA_PRESET}"`,
  }),
  GOSSIP_INTERVAL_MS: Ms(GOSSIP_INTERVAL_MS),
  PEER_EXPIRY_MS: Ms(PEER_EXPIRY_MS),
  MAX_PEERS: Type.Integer({ minimum: 1, maximum: 100_000, default: MAX_PEERS }),
  /** Table entries per host (its ports). */
  MAX_PEERS_PER_HOST: Type.Integer({ minimum: 1, maximum: 100_000, default: MAX_PEERS_PER_HOST }),
  /** Private and loopback hosts as peers: `auto` = when ADVERTISE_HOST is one; `1`/`0` force it. */
  ALLOW_PRIVATE_PEERS: Type.Union([Type.Literal('auto'), Type.Literal('1'), Type.Literal('0')], {
    default: 'auto',
  }),
  /** Send budgets in bytes/s and burst bytes; see limits.ts for each reason. */
  PROVEN_SEND_BYTES_PER_S: Bytes(PROVEN_SEND_BYTES_PER_S),
  PROVEN_SEND_BURST_BYTES: Bytes(PROVEN_SEND_BURST_BYTES),
  HOST_SEND_BYTES_PER_S: Bytes(HOST_SEND_BYTES_PER_S),
  HOST_SEND_BURST_BYTES: Bytes(HOST_SEND_BURST_BYTES),
  REPLY_TOTAL_BYTES_PER_S: Bytes(REPLY_TOTAL_BYTES_PER_S),
  REPLY_TOTAL_BURST_BYTES: Bytes(REPLY_TOTAL_BURST_BYTES),
  /** Bytes an unproven address may be sent per byte received from it. */
  UNPROVEN_AMPLIFICATION: Type.Number({ minimum: 0, maximum: 1_000_000, default: UNPROVEN_AMPLIFICATION }),
  UNPROVEN_ALLOWANCE_BYTES: Bytes(UNPROVEN_ALLOWANCE_BYTES, 0),
  UNPROVEN_ALLOWANCE_BYTES_PER_S: Bytes(UNPROVEN_ALLOWANCE_BYTES_PER_S, 0),
  UNPROVEN_TOTAL_BYTES_PER_S: Bytes(UNPROVEN_TOTAL_BYTES_PER_S),
  UNPROVEN_TOTAL_BURST_BYTES: Bytes(UNPROVEN_TOTAL_BURST_BYTES),
  /** GOSSIPs admitted per second (and burst) from all originators together. */
  GOSSIP_TOTAL_PER_S: Type.Integer({ minimum: 1, maximum: 1_000_000, default: GOSSIP_TOTAL_PER_S }),
  GOSSIP_TOTAL_BURST: Type.Integer({ minimum: 1, maximum: 1_000_000, default: GOSSIP_TOTAL_BURST }),
});

/** `PEERS`: comma-separated host:port; the token `umanitoba` expands to the well-known hosts. */
export function parsePeers(spec: string): PeerAddr[] {
  const out = new Map<string, PeerAddr>();
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    if (item === UMANITOBA_PRESET) {
      for (const p of UMANITOBA_PEERS) out.set(`${p.host}:${p.port}`, p);
      continue;
    }
    const m = /^([A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      throw new ConfigError(
        `config error: PEERS=${JSON.stringify(spec)} — "${item}" is not host:port (or "${UMANITOBA_PRESET}")`,
      );
    }
    out.set(item, { host: m[1]!, port });
  }
  if (out.size === 0) throw new ConfigError('config error: PEERS is empty — expected host:port,...');
  return [...out.values()];
}

/** This machine's IPv4 addresses (for "is that us?") and the first non-internal one to advertise. */
export function localAddresses(): { all: Set<string>; firstExternal: string | undefined } {
  const all = new Set(['127.0.0.1', 'localhost']);
  let firstExternal: string | undefined;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4') continue;
      all.add(a.address);
      if (!a.internal) firstExternal ??= a.address;
    }
  }
  return { all, firstExternal };
}

/**
 * The host we advertise when ADVERTISE_HOST is not set: loopback when every bootstrap peer is on
 * loopback (a local test network must never be told to answer at an outside address), else this
 * machine's first external IPv4.
 */
export function defaultAdvertiseHost(
  bootstrap: readonly PeerAddr[],
  firstExternal: string | undefined,
): string {
  const loopbackOnly = bootstrap.every((p) => p.host === 'localhost' || p.host.startsWith('127.'));
  return loopbackOnly ? '127.0.0.1' : (firstExternal ?? '127.0.0.1');
}
