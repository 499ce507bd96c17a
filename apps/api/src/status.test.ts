import { describe, expect, it } from 'vitest';
import type { ConsensusStatus, PeerInfo } from '@chainsync/protocol';
import { buildPeerRows, buildStatus } from './status.js';

const consensus: ConsensusStatus = {
  phase: 'syncing',
  tip: { height: 41, hash: 'a'.repeat(64) },
  target: { height: 99, hash: 'b'.repeat(64) },
  progress: { done: 30, total: 58 },
  sources: [
    { host: '127.0.0.1', port: 9001, score: 7, inFlight: 3, received: 40, banned: false },
    { host: '127.0.0.1', port: 9002, score: -5, inFlight: 0, received: 1, banned: true },
  ],
  blocksPerSecond: 12,
  etaSeconds: 5,
  roundsCompleted: 1,
  lastRoundAt: 1000,
};
const peer = (port: number, lastSeen: number): PeerInfo => ({
  host: '127.0.0.1',
  port,
  name: `p${port}`,
  lastSeen,
  firstSeen: 0,
  bootstrap: false,
});

describe('buildStatus', () => {
  it('takes tip, target and phase from consensus and counts unbanned sources', () => {
    const s = buildStatus({
      name: 'n',
      consensus: { ok: true, value: consensus },
      peers: { ok: true, value: [peer(9001, 0), peer(9002, 0)] },
      services: [],
      blocksPerSecond: 3.14159,
      now: 5,
    });
    expect(s).toMatchObject({
      height: 41,
      target: { height: 99 },
      phase: 'syncing',
      peers: 2,
      sources: 1,
      blocksPerSecond: 12,
      etaSeconds: 5,
      errors: [],
    });
  });

  it('once synced, reports the growth the api measured', () => {
    const s = buildStatus({
      name: 'n',
      consensus: { ok: true, value: { ...consensus, phase: 'synced' } },
      peers: { ok: true, value: [] },
      services: [],
      blocksPerSecond: 0.33333,
      now: 5,
    });
    expect(s.blocksPerSecond).toBe(0.33);
  });

  it('falls back to the store tip and says why when consensus does not answer', () => {
    const s = buildStatus({
      name: 'n',
      consensus: { ok: false, error: 'consensus.status: no_responders' },
      peers: { ok: false, error: 'peers.list: timeout' },
      storeTip: { ok: true, value: { height: 7, hash: 'c'.repeat(64) } },
      services: [],
      blocksPerSecond: 0,
      now: 5,
    });
    expect(s).toMatchObject({ height: 7, phase: 'unknown', target: null, peers: 0 });
    expect(s.errors).toEqual(['consensus.status: no_responders', 'peers.list: timeout']);
  });
});

describe('buildPeerRows', () => {
  it('joins scores by host:port, computes ages, freshest first', () => {
    const rows = buildPeerRows([peer(9001, 1_000), peer(9002, 9_000), peer(9003, 5_000)], consensus, 10_000);
    expect(rows.map((r) => [r.port, r.lastSeenAgeSeconds, r.score, r.banned])).toEqual([
      [9002, 1, -5, true],
      [9003, 5, null, false],
      [9001, 9, 7, false],
    ]);
  });
});
