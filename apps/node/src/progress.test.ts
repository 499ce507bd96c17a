import { describe, expect, it } from 'vitest';
import { blockLine, formatEta, isSynced, plainLine, progressOf, type StatusView } from './progress.js';

const status = (over: Partial<StatusView>): StatusView => ({
  name: 'n',
  height: 99,
  tipHash: 'a'.repeat(64),
  target: { height: 2999, hash: 'b'.repeat(64) },
  phase: 'syncing',
  peers: 3,
  blocksPerSecond: 1234.5,
  etaSeconds: 2,
  ...over,
});

describe('progress view', () => {
  it('counts blocks as lengths against the target', () => {
    expect(progressOf(status({}))).toEqual({ value: 100, total: 3000 });
    expect(progressOf(status({ height: -1, target: null }))).toEqual({ value: 0, total: 1 });
    expect(plainLine(status({}))).toBe('syncing: 100/3000 blocks, 1235 blocks/s, 3 peers');
    expect([formatEta(null), formatEta(4.4), formatEta(125)]).toEqual(['-', '4s', '2m05s']);
  });

  it('is synced only when consensus says so and the target is held', () => {
    expect(isSynced(status({}))).toBe(false);
    expect(isSynced(status({ phase: 'synced', height: 2999 }))).toBe(true);
    expect(isSynced(status({ phase: 'synced', height: 2998 }))).toBe(false);
    expect(isSynced(status({ phase: 'synced', target: null }))).toBe(false);
    expect(isSynced(status({ phase: 'synced', height: -1, target: { height: -1, hash: null } }))).toBe(false);
  });

  it('prints one line per block with its messages', () => {
    const line = blockLine(
      {
        height: 3001,
        hash: `abcdef12${'0'.repeat(48)}12345000`,
        minedBy: 'devnet-1',
        messages: ['hi', 'there'],
        timestamp: 0,
      },
      { peers: 3 },
      Date.UTC(2024, 0, 1, 12, 34, 56),
    );
    expect(line).toBe('12:34:56  block 3001  abcdef12…12345000  by devnet-1 "hi · there"  · 3 peers');
  });
});
