import { describe, expect, it } from 'vitest';
import type { ServiceStats } from '@chainsync/service-kit';
import { InstanceTracker } from './instances.js';
import { INSTANCE_FORGET_MS } from './limits.js';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const stats = (
  name: string,
  id: string,
  pid: number,
  requests: number,
  errors = 0,
  prefix = 'chain',
): ServiceStats => ({
  type: 'io.nats.micro.v1.stats_response',
  name,
  id,
  version: '0.1.0',
  started: new Date(T0 - 60_000).toISOString(),
  metadata: { node: 'n', prefix, host: 'h1', pid: String(pid), ops: '127.0.0.1:9103' },
  endpoints: [
    {
      name: 'validate',
      subject: 'chain.validate',
      queue_group: 'validators',
      num_requests: requests,
      num_errors: errors,
      last_error: errors ? 'bad_request: x' : '',
      processing_time: requests * 2_000_000,
      average_processing_time: 2_000_000,
    },
  ],
});

describe('InstanceTracker', () => {
  it('lists every replica of this node on its own row, with its own rate', () => {
    const t = new InstanceTracker('chain');
    t.update(
      [stats('validator', 'a', 11, 100), stats('validator', 'b', 12, 50), stats('gossip', 'g', 9, 0)],
      T0,
    );
    t.update(
      [
        stats('validator', 'a', 11, 300),
        stats('validator', 'b', 12, 60, 2),
        stats('gossip', 'g', 9, 0),
        stats('validator', 'other-node', 5, 999, 0, 'n2'),
      ],
      T0 + 2_000,
    );
    const rows = t.rows(T0 + 2_000);
    expect(rows.map((r) => [r.service, r.id, r.status])).toEqual([
      ['gossip', 'g', 'up'],
      ['validator', 'a', 'up'],
      ['validator', 'b', 'up'],
    ]);
    const [, a, b] = rows;
    expect(a).toMatchObject({
      requests: 300,
      requestsPerSecond: 100,
      averageMs: 2,
      uptimeSeconds: 62,
      pid: '11',
    });
    expect(b).toMatchObject({
      requestsPerSecond: 5,
      errors: 2,
      errorsPerSecond: 1,
      lastError: 'bad_request: x',
    });
    expect(a!.endpoints[0]).toMatchObject({
      name: 'validate',
      queueGroup: 'validators',
      requestsPerSecond: 100,
    });
  });

  it('shows an instance that stopped answering as silent, then forgets it', () => {
    const t = new InstanceTracker('chain');
    t.update([stats('validator', 'a', 11, 1), stats('validator', 'b', 12, 1)], T0);
    t.update([stats('validator', 'a', 11, 1)], T0 + 2_000);
    expect(t.rows(T0 + 2_000).map((r) => [r.id, r.status, r.lastSeenAgeSeconds])).toEqual([
      ['a', 'up', 0],
      ['b', 'silent', 2],
    ]);
    t.update([stats('validator', 'a', 11, 1)], T0 + INSTANCE_FORGET_MS + 1);
    expect(t.rows(T0 + INSTANCE_FORGET_MS + 1).map((r) => r.id)).toEqual(['a']);
    expect(t.checkedAt).toBe(T0 + INSTANCE_FORGET_MS + 1);
  });
});
