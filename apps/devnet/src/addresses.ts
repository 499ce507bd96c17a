import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import type { PeerAddr } from '@chainsync/protocol';

export class AddressError extends Error {
  readonly code = 'bad_address';
}

/** Parses `HOST:PORT,HOST:PORT` (e.g. a --bootstrap list). */
export function parseHostPorts(text: string): PeerAddr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const i = item.lastIndexOf(':');
      const host = item.slice(0, i);
      const port = Number(item.slice(i + 1));
      if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new AddressError(`"${item}" is not HOST:PORT`);
      }
      return { host, port };
    });
}

/**
 * IPv4 addresses for peers given by name. Only ever called on addresses a user typed: names
 * learned from the network are refused instead, so no datagram makes us resolve anything.
 */
export async function resolveAll(addrs: readonly PeerAddr[]): Promise<PeerAddr[]> {
  return Promise.all(
    addrs.map(async (a) =>
      isIPv4(a.host) ? a : { host: (await lookup(a.host, { family: 4 })).address, port: a.port },
    ),
  );
}
