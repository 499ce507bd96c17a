import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import type { Bus } from '@chainsync/service-kit';
import {
  startNatsServer,
  type NatsServerHandle,
  type ServiceProcess,
  connectTestBus,
  startService,
} from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';

/** Two validator processes in the `validators` queue group: verdicts, bad input, load spread. */

let nats: NatsServerHandle;
let bus: Bus;
const validators: { proc: ServiceProcess; opsPort: number }[] = [];
const prefix = `val${process.pid}`;
const chain = syntheticChain(1000, { difficulty: 1 });

beforeAll(async () => {
  nats = await startNatsServer();
  for (let i = 0; i < 2; i++) {
    validators.push(await startService('validator', nats.url, prefix, { NODE_NAME: `validator-${i}` }));
  }
  bus = await connectTestBus(nats.url, prefix, 'e2e');
});

afterAll(async () => {
  await bus?.drain().catch(() => undefined);
  await Promise.all(validators.map((v) => v.proc.kill()));
  await nats?.stop();
});

async function metrics(opsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('chainsync_validator_')) continue;
    const name = line
      .slice(0, line.lastIndexOf(' '))
      .replace(/,?node="[^"]*"/, '')
      .replace('{}', '');
    out.set(name, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

const validate = (blocks: unknown[], prevHash: string | null, firstHeight: number) =>
  bus.call('validate', { difficulty: 1, prevHash, firstHeight, blocks });

describe('validator service', () => {
  it('returns one verdict per block: valid, or the reason', async () => {
    const ok = await validate(chain.slice(100, 200), chain[99]!.hash, 100);
    expect(ok.verdicts).toHaveLength(100);
    expect(ok.verdicts.every((v) => v.ok)).toBe(true);

    const tampered: Block[] = structuredClone(chain.slice(0, 5));
    tampered[2]!.messages = ['tampered'];
    const bad = await validate(tampered, null, 0);
    expect(bad.verdicts.map((v) => (v.ok ? 'ok' : v.reason))).toEqual([
      'ok',
      'ok',
      'wrong_hash',
      'bad_linkage',
      'bad_linkage',
    ]);
    // The first block must link to the hash it was sent with.
    const unlinked = await validate(chain.slice(10, 12), chain[5]!.hash, 10);
    expect(unlinked.verdicts[0]).toEqual({ ok: false, reason: 'wrong_hash' });
    // Junk blocks are verdicts, not errors.
    const junk = await validate([{ height: 'x' }, 7], null, 0);
    expect(junk.verdicts[0]).toEqual({ ok: false, reason: 'wrong_types' });
  });

  it('answers a malformed payload with an error reason and keeps serving', async () => {
    const raw = async (body: string) =>
      JSON.parse(new TextDecoder().decode((await bus.nc.request(`${prefix}.validate`, body)).data));
    expect(await raw('{{')).toMatchObject({ ok: false, code: 'bad_json' });
    expect(await raw('{"difficulty":1,"prevHash":null,"firstHeight":0}')).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(await raw('{"difficulty":-1,"prevHash":null,"firstHeight":0,"blocks":[]}')).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect((await validate(chain.slice(0, 3), null, 0)).verdicts.every((v) => v.ok)).toBe(true);
  });

  it('spreads batches across both instances and counts checks and invalid blocks by reason', async () => {
    const before = await Promise.all(validators.map((v) => metrics(v.opsPort)));
    const batches = Array.from({ length: 20 }, (_, i) =>
      validate(chain.slice(i * 50, i * 50 + 50), i ? chain[i * 50 - 1]!.hash : null, i * 50),
    );
    const replies = await Promise.all(batches);
    expect(replies.every((r) => r.verdicts.every((v) => v.ok))).toBe(true);
    const after = await Promise.all(validators.map((v) => metrics(v.opsPort)));
    const checked = after.map(
      (m, i) =>
        (m.get('chainsync_validator_blocks_checked_total') ?? 0) -
        (before[i]!.get('chainsync_validator_blocks_checked_total') ?? 0),
    );
    expect(checked[0]! + checked[1]!).toBe(1000);
    expect(checked[0]).toBeGreaterThan(0);
    expect(checked[1]).toBeGreaterThan(0);
    const invalid = (reason: string) =>
      after.reduce(
        (n, m) => n + (m.get(`chainsync_validator_blocks_invalid_total{reason="${reason}"}`) ?? 0),
        0,
      );
    expect(invalid('wrong_hash')).toBe(2);
    expect(invalid('bad_linkage')).toBe(4);
    expect(invalid('wrong_types')).toBe(1);
    const batchCount = after.reduce(
      (n, m) => n + (m.get('chainsync_validator_batch_duration_seconds_count') ?? 0),
      0,
    );
    expect(batchCount).toBe(25);
  });
});
