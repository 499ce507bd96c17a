import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import type { PeerAddr } from '@chainsync/protocol';

/** How long one name may take to resolve before the peer is kept by name. */
const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * The operator's bootstrap peers with names resolved to IPv4 addresses, once, at start: peers
 * answer from an address, never a name, so a peer kept by name would never match its own replies
 * (they would read as unasked). A name that does not resolve now is kept as given (sends still
 * resolve it) and reported in `unresolved`.
 */
export async function resolvePeers(
  peers: readonly PeerAddr[],
  resolve: (host: string) => Promise<string> = async (h) => (await lookup(h, { family: 4 })).address,
): Promise<{ peers: PeerAddr[]; unresolved: string[] }> {
  const unresolved: string[] = [];
  const out = await Promise.all(
    peers.map(async (p) => {
      if (isIPv4(p.host)) return p;
      try {
        const address = await Promise.race([
          resolve(p.host),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS).unref(),
          ),
        ]);
        return { host: address, port: p.port };
      } catch {
        unresolved.push(p.host);
        return p;
      }
    }),
  );
  // Two names may be one address: keep each address once.
  const seen = new Set<string>();
  return {
    peers: out.filter((p) => !seen.has(`${p.host}:${p.port}`) && seen.add(`${p.host}:${p.port}`)),
    unresolved,
  };
}
