import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '@chainsync/service-kit';
import {
  connectTestBus,
  startNatsServer,
  startService,
  waitFor,
  type NatsServerHandle,
  type StartedService,
} from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';
import type { InstanceRow } from '../../apps/api/src/instances.js';
import { ensureBusCredentials, roleAuth, writeServerConfig } from '../../apps/node/src/bus-credentials.js';

/**
 * Every replica watched: three validators and the api on a bus with least privilege; the api's
 * `GET /instances` lists each validator on its own row with its own request count, from the NATS
 * service protocol, and shows one that stopped as silent.
 */

const prefix = 'inst';
const chain = syntheticChain(40, { difficulty: 1 });
let dir: string;
let nats: NatsServerHandle;
let bus: Bus;
const validators: StartedService[] = [];
let api: StartedService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chainsync-instances-'));
  const creds = ensureBusCredentials(join(dir, 'bus'));
  nats = await startNatsServer({ configFile: writeServerConfig(creds, { prefix }) });
  const key = (role: 'validator' | 'api') => ({ NATS_NKEY_FILE: roleAuth(creds.dir, role).nkeyFile! });
  for (let i = 0; i < 3; i++)
    validators.push(await startService('validator', nats.url, prefix, key('validator')));
  api = await startService('api', nats.url, prefix, { ...key('api'), SERVICE_READYZ: 'none' });
  bus = await connectTestBus(nats.url, prefix, 'instances-test', {
    role: 'consensus',
    auth: roleAuth(creds.dir, 'consensus'),
  });
});

afterAll(async () => {
  await bus?.drain().catch(() => undefined);
  await Promise.all([api, ...validators].map((s) => s?.proc.kill()));
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const instances = async () =>
  ((await (await fetch(`http://127.0.0.1:${api.opsPort}/instances`)).json()) as { instances: InstanceRow[] })
    .instances;

describe('GET /instances', () => {
  it('lists each validator replica with its own requests, and the api itself', async () => {
    for (let i = 0; i < 30; i++) {
      await bus.call('validate', {
        difficulty: 1,
        prevHash: null,
        firstHeight: 0,
        blocks: chain.slice(0, 5),
      });
    }
    const rows = await waitFor(
      async () => {
        const r = await instances();
        const total = r.filter((x) => x.service === 'validator').reduce((t, x) => t + x.requests, 0);
        return total === 30 ? r : undefined;
      },
      { timeoutMs: 10_000, what: 'every validate request counted by some replica' },
    );
    const vs = rows.filter((r) => r.service === 'validator');
    expect(vs.map((v) => Number(v.pid)).sort()).toEqual(validators.map((v) => v.proc.proc.pid!).sort());
    expect(vs.every((v) => v.status === 'up' && v.errors === 0)).toBe(true);
    // A queue group spreads requests at random: each replica got some of them.
    expect(vs.filter((v) => v.requests > 0).length).toBeGreaterThanOrEqual(2);
    expect(vs[0]!.endpoints).toEqual([
      expect.objectContaining({ name: 'validate', subject: 'inst.validate', queueGroup: 'validators' }),
    ]);
    expect(rows.map((r) => r.service).sort()).toEqual(['api', 'validator', 'validator', 'validator']);
  });

  it('shows a replica that stopped as silent', async () => {
    const gone = validators[1]!;
    await gone.proc.kill();
    const rows = await waitFor(
      async () => {
        const r = await instances();
        return r.find((x) => x.pid === String(gone.proc.proc.pid))?.status === 'silent' ? r : undefined;
      },
      { timeoutMs: 10_000, what: 'the stopped validator shown silent' },
    );
    expect(rows.filter((r) => r.service === 'validator' && r.status === 'up')).toHaveLength(2);
  });
});
