import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, nkeys, type NatsConnection } from '@nats-io/transport-node';
import type { BusRole } from '@chainsync/protocol';
import { natsConnectOptions } from '@chainsync/service-kit';
import {
  startNatsServer,
  startService,
  type NatsServerHandle,
  type StartedService,
} from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';
import {
  ensureBusCredentials,
  roleAuth,
  writeServerConfig,
  type BusCredentials,
} from '../../apps/node/src/bus-credentials.js';

/**
 * Least privilege on the bus, against a real nats-server configured by `chainsync bus-auth`'s
 * code: nobody without a key gets in, and each role may publish and subscribe only what the
 * subject table gives it — a validator's key cannot write the chain, which consensus' key can.
 */

const prefix = 'chain';
const chain = syntheticChain(20, { difficulty: 1 });
let dir: string;
let creds: BusCredentials;
let nats: NatsServerHandle;
let store: StartedService;
let validator: StartedService;
const clients: NatsConnection[] = [];

async function as(role: BusRole): Promise<NatsConnection> {
  const nc = await connect({
    ...natsConnectOptions({ url: nats.url, name: `test-${role}`, role, prefix, auth: roleAuth(dir, role) }),
  });
  clients.push(nc);
  return nc;
}

const json = (v: unknown) => JSON.stringify(v);
const append = (blocks: unknown[], expectPrevHash: string | null) => json({ expectPrevHash, blocks });

/**
 * Every async error the server reports on this connection (permissions violations) while `fn`
 * runs and for a moment after, joined: the order of the server's reports is its own.
 */
async function violations(nc: NatsConnection, fn: () => Promise<unknown> | void): Promise<string> {
  const errors: string[] = [];
  const status = nc.status();
  let open = true;
  void (async () => {
    for await (const s of status) {
      if (!open) break;
      if (s.type === 'error') errors.push(String(s.error));
    }
  })();
  await Promise.resolve(fn()).catch(() => undefined);
  await nc.flush().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  open = false;
  return errors.join('\n');
}

async function tip(nc: NatsConnection): Promise<number> {
  return (await nc.request(`${prefix}.store.tip`, '{}', { timeout: 2_000 })).json<{
    tip: { height: number };
  }>().tip.height;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chainsync-bus-auth-'));
  creds = ensureBusCredentials(join(dir, 'bus'));
  dir = creds.dir;
  nats = await startNatsServer({ configFile: writeServerConfig(creds, { prefix }) });
  store = await startService('chain-store', nats.url, prefix, {
    DATA_DIR: join(dir, 'chain'),
    NATS_NKEY_FILE: roleAuth(dir, 'chain-store').nkeyFile!,
  });
  validator = await startService('validator', nats.url, prefix, {
    NATS_NKEY_FILE: roleAuth(dir, 'validator').nkeyFile!,
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all([store?.proc.kill(), validator?.proc.kill()]);
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bus permissions', () => {
  it('refuses a client without credentials, and one with a key the server does not know', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    const stranger = join(dir, 'stranger.nk');
    writeFileSync(stranger, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(
      connect({
        ...natsConnectOptions({
          url: nats.url,
          name: 'stranger',
          role: 'consensus',
          prefix,
          auth: { nkeyFile: stranger },
        }),
        reconnect: false,
      }),
    ).rejects.toThrow(/authorization/i);
  });

  it("refuses a validator's credentials on store.append; consensus' are accepted", async () => {
    const asValidator = await as('validator');
    let answered = false;
    const seen = await violations(asValidator, async () => {
      await asValidator.request(`${prefix}.store.append`, append(chain.slice(0, 10), null), {
        timeout: 1_000,
      });
      answered = true;
    });
    expect(answered).toBe(false);
    expect(seen).toMatch(/permissions violation for publish to "chain\.store\.append"/i);

    const asConsensus = await as('consensus');
    expect(await tip(asConsensus)).toBe(-1); // the validator's append never reached the store
    const reply = await asConsensus.request(`${prefix}.store.append`, append(chain.slice(0, 10), null), {
      timeout: 2_000,
    });
    expect(reply.json<{ ok: boolean; tip: { height: number } }>()).toMatchObject({
      ok: true,
      tip: { height: 9 },
    });
  });

  it('lets no one but chain-store publish store.committed, nor a validator listen to the store', async () => {
    const asConsensus = await as('consensus');
    const seen: string[] = [];
    const sub = asConsensus.subscribe(`${prefix}.store.committed`, {
      callback: (_e, m) => {
        seen.push(m.string());
      },
    });
    await asConsensus.flush();

    const asValidator = await as('validator');
    const seenByValidator = await violations(asValidator, () => {
      asValidator.publish(`${prefix}.store.committed`, json({ height: 999, hash: 'forged' }));
      asValidator.subscribe(`${prefix}.store.append`);
    });
    expect(seenByValidator).toMatch(/publish to "chain\.store\.committed"/i);
    expect(seenByValidator).toMatch(/subscription to "chain\.store\.append"/i);

    await asConsensus.request(`${prefix}.store.append`, append(chain.slice(10, 12), chain[9]!.hash), {
      timeout: 2_000,
    });
    await asConsensus.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((s) => JSON.parse(s) as { height: number }).map((t) => t.height)).toEqual([11]);
    sub.unsubscribe();
  });

  it('lets consensus ask the validators, whose answers reach it', async () => {
    const asConsensus = await as('consensus');
    const reply = await asConsensus.request(
      `${prefix}.validate`,
      json({ difficulty: 1, prevHash: null, firstHeight: 0, blocks: chain.slice(0, 3) }),
      { timeout: 2_000 },
    );
    expect(reply.json<{ verdicts: unknown[] }>().verdicts).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
  });

  it('lets the api read the chain but not write it', async () => {
    const asApi = await as('api');
    expect(await tip(asApi)).toBe(11);
    const seen = await violations(asApi, () =>
      asApi.request(`${prefix}.store.reorg`, json({ fromHeight: 0, topHeight: 1, tipHash: 'x' }), {
        timeout: 1_000,
      }),
    );
    expect(seen).toMatch(/publish to "chain\.store\.reorg"/i);
    expect(await tip(asApi)).toBe(11);
  });
});
