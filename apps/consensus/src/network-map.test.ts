import { describe, expect, it } from 'vitest';
import type { Tip } from '@chainsync/protocol';
import type { SourceSnapshot } from './download.js';
import { NetworkMap, relate } from './network-map.js';
import { OurHashes } from './our-hashes.js';
import { PeerScores } from './peer-scores.js';

const hash = (n: number, fork = 0) => (fork ? 'f' : 'a') + n.toString(16).padStart(62, '0') + '0';
const ours = (h: number) => (h >= 0 && h <= 99 ? hash(h) : undefined);
const tip: Tip = { height: 99, hash: hash(99) };
const at = (port: number) => ({ host: '127.0.0.1', port });
const snapshot = (port: number, received: number, timeouts = 0): SourceSnapshot => ({
  key: `127.0.0.1:${port}`,
  addr: at(port),
  inFlight: 0,
  window: 32,
  rtoMs: 100,
  received,
  timeouts,
  batches: 0,
  dropped: false,
});

describe('relate', () => {
  it('places a claim on our chain (and learns its convention), on a fork, or ahead of us', () => {
    expect(relate({ height: 100, hash: hash(99) }, null, tip, ours)).toEqual({
      chain: 'same',
      convention: 'length',
    });
    expect(relate({ height: 99, hash: hash(99) }, null, tip, ours)).toEqual({
      chain: 'same',
      convention: 'top_index',
    });
    expect(relate({ height: 51, hash: hash(50) }, null, tip, ours)).toEqual({
      chain: 'behind',
      convention: 'length',
    });
    expect(relate({ height: 51, hash: hash(50, 1) }, null, tip, ours).chain).toBe('fork');
    expect(relate({ height: 150, hash: hash(149, 1) }, null, tip, ours).chain).toBe('ahead');
    // Our hash there not looked up: not decided.
    expect(relate({ height: 51, hash: hash(50, 1) }, null, tip, () => undefined).chain).toBe('unknown');
    // A known convention looks at one height only.
    expect(relate({ height: 100, hash: hash(99, 1) }, 'length', tip, ours).chain).toBe('fork');
    expect(relate({ height: 100, hash: hash(99, 1) }, 'top_index', tip, ours).chain).toBe('ahead');
  });
});

describe('NetworkMap', () => {
  it('records claims, conventions the claim check backed, and how sources served', () => {
    const map = new NetworkMap();
    const scores = new PeerScores();
    map.claimed(at(1), { height: 100, hash: hash(99) }, 1000);
    map.claimed(at(2), { height: 60, hash: hash(59, 1) }, 1000);
    map.claimed(at(3), { height: 120, hash: hash(119, 1) }, 1000);
    map.backed([{ key: '127.0.0.1:3', top: 120 }]);
    map.served([snapshot(1, 500, 2), snapshot(4, 0)], 2000, 3000);
    scores.penalize('127.0.0.1:2', 'wrong_chain', 3000);
    scores.penalize('127.0.0.1:9', 'unbacked_claim', 3000); // banned, never recorded here
    const v = map.view(tip, ours, scores, 3000);
    const peer = (port: number) => v.peers.find((p) => p.port === port);
    expect(peer(1)).toMatchObject({
      chain: 'same',
      convention: 'length',
      served: { blocks: 500, blocksPerSecond: 250, timeouts: 2 },
      banned: false,
    });
    expect(peer(2)).toMatchObject({ chain: 'fork', banned: true, faults: 1, score: -100 });
    expect(peer(3)).toMatchObject({ chain: 'ahead', convention: 'top_index' });
    expect(peer(4)).toBeUndefined(); // served nothing: not a source worth a row
    expect(peer(9)).toMatchObject({ claim: null, chain: null, banned: true });
  });

  it('asks for a bounded number of our hashes, newest claims first, only where they can be', () => {
    const map = new NetworkMap();
    for (let i = 0; i < 100; i++) map.claimed(at(i + 1), { height: i + 1, hash: hash(i) }, i);
    map.claimed(at(500), { height: 5000, hash: hash(1) }, 1000); // above our tip: nothing to look up
    const heights = map.lookups(tip, 10);
    expect(heights).toHaveLength(10);
    expect(heights.slice(0, 2)).toEqual([99, 98]); // the newest claims first: 100 blocks sits at 99
    expect(heights.every((h) => h <= tip.height)).toBe(true);
  });

  it('keeps at most its bound of records, forgetting the least recently updated', () => {
    const map = new NetworkMap(3);
    for (let i = 1; i <= 5; i++) map.claimed(at(i), { height: 1, hash: hash(0) }, i);
    map.claimed(at(3), { height: 2, hash: hash(1) }, 6);
    expect(map.size).toBe(3);
    const ports = map.view(tip, ours, new PeerScores(), 7).peers.map((p) => p.port);
    expect(ports.sort()).toEqual([3, 4, 5]);
  });
});

describe('OurHashes', () => {
  it('looks each height up once per tip, and again after the tip moves', async () => {
    const asked: number[] = [];
    const h = new OurHashes(async (height) => {
      asked.push(height);
      return height === 7 ? null : hash(height);
    });
    const get = await h.at(tip, [1, 2, 7, 500]);
    expect(get(1)).toBe(hash(1));
    expect(get(7)).toBeUndefined();
    await h.at(tip, [1, 2, 3]);
    expect(asked.sort((a, b) => a - b)).toEqual([1, 2, 3, 7]);
    await h.at({ height: 100, hash: hash(100) }, [1]);
    expect(asked.filter((x) => x === 1)).toHaveLength(2);
  });
});
