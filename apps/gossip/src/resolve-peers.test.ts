import { describe, expect, it } from 'vitest';
import { resolvePeers } from './resolve-peers.js';

describe('resolvePeers', () => {
  it('resolves names to IPv4 addresses, keeps addresses, keeps a name it cannot resolve, and each address once', async () => {
    const table: Record<string, string> = { devnet: '172.18.0.5', 'devnet-alias': '172.18.0.5' };
    const resolve = async (h: string) => {
      const a = table[h];
      if (!a) throw new Error('ENOTFOUND');
      return a;
    };
    const r = await resolvePeers(
      [
        { host: 'devnet', port: 9000 },
        { host: '10.0.0.1', port: 8999 },
        { host: 'nowhere', port: 9001 },
        { host: 'devnet-alias', port: 9000 },
      ],
      resolve,
    );
    expect(r.peers).toEqual([
      { host: '172.18.0.5', port: 9000 },
      { host: '10.0.0.1', port: 8999 },
      { host: 'nowhere', port: 9001 },
    ]);
    expect(r.unresolved).toEqual(['nowhere']);
  });
});
