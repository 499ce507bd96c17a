import { describe, expect, it } from 'vitest';
import { encodeMessage, type MessageType } from '@chainsync/protocol';
import { InboundBatcher } from './batcher.js';

function setup(maxItems = 3, maxBytes = 10_000) {
  const published: { type: MessageType; heights: number[]; bytes: number }[] = [];
  const scheduled: (() => void)[] = [];
  const b = new InboundBatcher({
    maxItems,
    maxBytes,
    publish: (type, payload, count) => {
      const items = (JSON.parse(payload.toString()) as { items: { msg: { height: number } }[] }).items;
      expect(items).toHaveLength(count);
      published.push({ type, heights: items.map((i) => i.msg.height), bytes: payload.byteLength });
    },
    schedule: (fn) => scheduled.push(fn),
    cancel: (h) => {
      scheduled[(h as number) - 1] = () => undefined;
    },
  });
  const entry = (height: number, pad = 0) => ({
    from: { host: '127.0.0.1', port: 1 },
    body: encodeMessage({ type: 'GET_BLOCK', height, pad: 'x'.repeat(pad) } as never),
  });
  const fire = () => scheduled.splice(0).forEach((t) => t());
  return { b, published, scheduled, entry, fire };
}

describe('InboundBatcher', () => {
  it('publishes a full batch at once, the rest once pending I/O is handled', () => {
    const { b, published, entry, fire } = setup(3);
    for (let h = 0; h < 4; h++) b.add('GET_BLOCK', entry(h));
    expect(published.map((p) => p.heights)).toEqual([[0, 1, 2]]);
    fire();
    expect(published.map((p) => p.heights)).toEqual([[0, 1, 2], [3]]);
  });

  it('keeps one batch per type', () => {
    const { b, published, entry, fire } = setup(10);
    b.add('GET_BLOCK', entry(1));
    b.add('STATS', entry(7));
    b.add('GET_BLOCK', entry(2));
    fire();
    expect(published.map((p) => p.type).sort()).toEqual(['GET_BLOCK', 'STATS']);
    expect(published.find((p) => p.type === 'GET_BLOCK')?.heights).toEqual([1, 2]);
  });

  it('sizes a batch by its encoded payload: it fills up to the cap and never passes it', () => {
    const max = 1_000;
    const { b, published, entry } = setup(1_000, max);
    for (let h = 0; h < 100; h++) b.add('GET_BLOCK', entry(h, (h * 37) % 200));
    b.flush();
    expect(published.flatMap((p) => p.heights)).toEqual(Array.from({ length: 100 }, (_, h) => h));
    for (const p of published) expect(p.bytes).toBeLessThanOrEqual(max);
    // Each batch but the last was full: the next item would not have fitted.
    expect(published.slice(0, -1).every((p) => p.bytes > max - 300)).toBe(true);
  });

  it('refuses an item that cannot fit even an empty batch', () => {
    const { b, published, entry } = setup(10, 200);
    expect(b.add('GET_BLOCK', entry(1, 500))).toBe(false);
    expect(b.add('GET_BLOCK', entry(2))).toBe(true);
    b.flush();
    expect(published.map((p) => p.heights)).toEqual([[2]]);
  });

  it('schedules one flush for many items and none once everything is flushed', () => {
    const { b, scheduled, entry } = setup(100);
    for (let h = 0; h < 50; h++) b.add('GET_BLOCK', entry(h));
    expect(scheduled).toHaveLength(1);
    b.flush();
    b.add('GET_BLOCK', entry(99));
    expect(scheduled).toHaveLength(2);
  });
});
