import { describe, expect, it } from 'vitest';
import type { Inbound, MessageType } from '@chainsync/protocol';
import { InboundBatcher } from './batcher.js';

function setup(maxItems = 3, maxBytes = 1000) {
  const published: { type: MessageType; heights: number[] }[] = [];
  const scheduled: (() => void)[] = [];
  const b = new InboundBatcher({
    maxItems,
    maxBytes,
    publish: (type, items) =>
      published.push({ type, heights: items.map((i) => (i.msg as { height: number }).height) }),
    schedule: (fn) => scheduled.push(fn),
    cancel: (h) => {
      scheduled[(h as number) - 1] = () => undefined;
    },
  });
  const item = (height: number): Inbound => ({
    from: { host: '127.0.0.1', port: 1 },
    msg: { type: 'GET_BLOCK', height },
  });
  const fire = () => scheduled.splice(0).forEach((t) => t());
  return { b, published, scheduled, item, fire };
}

describe('InboundBatcher', () => {
  it('publishes a full batch at once, the rest once pending I/O is handled', () => {
    const { b, published, item, fire } = setup(3);
    for (let h = 0; h < 4; h++) b.add('GET_BLOCK', item(h), 10);
    expect(published).toEqual([{ type: 'GET_BLOCK', heights: [0, 1, 2] }]);
    fire();
    expect(published).toEqual([
      { type: 'GET_BLOCK', heights: [0, 1, 2] },
      { type: 'GET_BLOCK', heights: [3] },
    ]);
  });

  it('keeps one batch per type', () => {
    const { b, published, item, fire } = setup(10);
    b.add('GET_BLOCK', item(1), 10);
    b.add('STATS', { from: { host: '127.0.0.1', port: 1 }, msg: { type: 'STATS' } }, 10);
    b.add('GET_BLOCK', item(2), 10);
    fire();
    expect(published.map((p) => p.type).sort()).toEqual(['GET_BLOCK', 'STATS']);
    expect(published.find((p) => p.type === 'GET_BLOCK')?.heights).toEqual([1, 2]);
  });

  it('starts a new batch before the byte cap is passed', () => {
    const { b, published, item } = setup(100, 25);
    b.add('GET_BLOCK', item(1), 10);
    b.add('GET_BLOCK', item(2), 10);
    b.add('GET_BLOCK', item(3), 10);
    expect(published).toEqual([{ type: 'GET_BLOCK', heights: [1, 2] }]);
  });

  it('schedules one flush for many items and none once everything is flushed', () => {
    const { b, scheduled, item } = setup(100);
    for (let h = 0; h < 50; h++) b.add('GET_BLOCK', item(h), 1);
    expect(scheduled).toHaveLength(1);
    b.flush();
    b.add('GET_BLOCK', item(99), 1);
    expect(scheduled).toHaveLength(2);
  });
});
