import { describe, expect, it } from 'vitest';
import { validateBlock } from '@chainsync/protocol';
import { corruptBlock, describeFaults, faultsFor, parseFaults, planReply, queueReply } from './faults.js';
import { generateChain } from './generate.js';

describe('parseFaults', () => {
  it('parses every mode, per port and for all peers', () => {
    const specs = parseFaults(
      '20001:drop=0.3, 20001:delay=5ms,*:corrupt=0.2,all:silent,20002:lie,20003:fork=40,20004:delay=1.5s',
    );
    expect(specs).toEqual([
      { target: 20001, faults: { drop: 0.3 } },
      { target: 20001, faults: { delayMs: 5 } },
      { target: 'all', faults: { corrupt: 0.2 } },
      { target: 'all', faults: { silent: true } },
      { target: 20002, faults: { lie: true } },
      { target: 20003, faults: { forkAt: 40 } },
      { target: 20004, faults: { delayMs: 1500 } },
    ]);
    expect(parseFaults('')).toEqual([]);
  });

  it("merges the all-peer faults with a port's own, the port's winning", () => {
    const specs = parseFaults('*:drop=0.3,*:delay=50ms,20001:delay=5ms');
    expect(faultsFor(specs, 20001)).toEqual({ drop: 0.3, delayMs: 5 });
    expect(faultsFor(specs, 20002)).toEqual({ drop: 0.3, delayMs: 50 });
    expect(describeFaults(faultsFor(specs, 20001))).toBe('drop=0.3,delay=5ms');
    expect(describeFaults({})).toBe('none');
  });

  it('refuses malformed faults with code bad_fault', () => {
    for (const bad of [
      '20001',
      '20001:drop',
      '20001:drop=1.5',
      'x:lie',
      '20001:lie=1',
      '20001:delay=fast',
      '20001:fork=-1',
      '20001:explode',
      '70000:lie',
      '20001:delay=99999s',
    ]) {
      expect(() => parseFaults(bad), bad).toThrow(expect.objectContaining({ code: 'bad_fault' }));
    }
  });
});

describe('fault decisions', () => {
  it('drops the given fraction and delays the rest', () => {
    const seq = [0.1, 0.5];
    let i = 0;
    const rand = () => seq[i++ % seq.length]!;
    expect(planReply({ drop: 0.3, delayMs: 7 }, rand)).toEqual({ send: false });
    expect(planReply({ drop: 0.3, delayMs: 7 }, rand)).toEqual({ send: true, delayMs: 7 });
    expect(planReply({}, rand)).toEqual({ send: true, delayMs: 0 });
  });

  it('corrupts a block so that it fails validation, either way', async () => {
    const [genesis] = await generateChain({ blocks: 1, difficulty: 1 });
    for (const r of [0.1, 0.9]) {
      const bad = corruptBlock(genesis!, () => r);
      expect(bad).not.toEqual(genesis);
      expect(validateBlock(bad, null, 1)).toEqual({ ok: false, reason: 'wrong_hash' });
    }
  });

  it('rate=N queues replies one after the other, as a one-thread peer answers', () => {
    expect(describeFaults(faultsFor(parseFaults('*:rate=500'), 1))).toBe('rate=500');
    expect(() => parseFaults('*:rate=0')).toThrow(/rate needs/);
    let busy = 0;
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const q = queueReply(500, 1000, busy); // three requests at once: 2, 4 and 6 ms
      waits.push(q.waitMs);
      busy = q.busyUntil;
    }
    expect(waits).toEqual([2, 4, 6]);
    expect(queueReply(500, 2000, busy)).toEqual({ waitMs: 2, busyUntil: 2002 }); // idle meanwhile
  });
});
