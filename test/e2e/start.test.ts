import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '@chainsync/testing';
import { alive, DEVNET_PEERS, startCli, type StartCli } from './start-cli.js';

/**
 * `npm start` as a user runs it: a devnet, a node and its api come up, the node syncs, the
 * terminal shows one line per new block, Ctrl-C stops every process it started, and a restart
 * resumes from the stored chain.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'chainsync-start-'));
const running: StartCli[] = [];
afterAll(async () => {
  for (const cli of running) await cli.stop('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('npm start', () => {
  it('--help lists every flag; a bad flag exits 2 and names it', async () => {
    const help = startApp('node', {}, ['start', '--help']);
    expect(await help.exited).toBe(0);
    for (const flag of [
      '--peers',
      'umanitoba',
      '--no-devnet',
      '--udp-port',
      '--advertise-host',
      '--difficulty',
      '--data-dir',
      '--http-port',
      '--name',
      '--validators',
      '--verbose',
    ]) {
      expect(help.output()).toContain(flag);
    }
    const bad = startApp('node', {}, ['start', '--validators', 'many']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--validators.*integer/);
  });

  it('syncs with the devnet, serves the api, prints new blocks; Ctrl-C leaves no process; a restart resumes', async () => {
    const first = await startCli(dataDir);
    running.push(first);
    const synced = await first.waitForOutput(/synced: height (\d+)/, 120_000);
    expect(first.output()).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);

    // The api over the live node.
    const status = await getJson(`${first.apiUrl}/status`);
    expect(status.body).toMatchObject({ phase: 'synced', peers: DEVNET_PEERS });
    expect(status.body.height as number).toBeGreaterThanOrEqual(399);
    const services = status.body.services as { name: string; ready: boolean }[];
    expect(services.map((s) => s.name).sort()).toEqual(
      ['chain-store', 'consensus', 'gossip', 'validator-1', 'validator-2'].sort(),
    );
    expect(services.every((s) => s.ready)).toBe(true);
    expect((await getJson(`${first.apiUrl}/blocks/0`)).body).toMatchObject({ height: 0 });
    expect(await getJson(`${first.apiUrl}/blocks/99999999`)).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    const bad = await getJson(`${first.apiUrl}/blocks/abc`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/height/);
    const peers = (await getJson(`${first.apiUrl}/peers`)).body.peers as { name: string }[];
    expect(peers.map((p) => p.name).sort()).toEqual(['devnet-0', 'devnet-1', 'devnet-2']);
    expect(await (await fetch(`${first.apiUrl}/metrics`)).text()).toMatch(/^chainsync_api_node_height/m);

    // One line per block mined after the sync.
    const from = first.output().indexOf(synced[0]);
    await first.waitForOutput(/ block \d+ +\S+ +by devnet-\d/, 30_000, from);

    // Logs: pino JSON per service under the data dir.
    for (const service of ['gossip', 'consensus', 'chain-store', 'validator-1', 'api', 'devnet']) {
      const lines = readFileSync(join(dataDir, 'logs', `${service}.log`), 'utf8').split('\n');
      const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string });
      expect(json.length, service).toBeGreaterThan(0);
      expect(
        json.every((l) => typeof l.msg === 'string'),
        service,
      ).toBe(true);
    }

    const pids = first.descendants();
    expect(pids.length).toBeGreaterThanOrEqual(8); // nats, chain-store, 2 validators, gossip, consensus, api, devnet
    const stoppedAt = await (async () => {
      const height = ((await getJson(`${first.apiUrl}/status`)).body.height as number) ?? 0;
      expect(await first.stop('SIGINT')).toBe(0);
      return height;
    })();
    expect(first.output()).toMatch(/stopped/);
    expect(pids.filter(alive)).toEqual([]);

    // A restart resumes: the stored chain is there before any sync.
    const second = await startCli(dataDir);
    running.push(second);
    await second.waitForOutput(/dashboard: /, 120_000);
    const resumed = (await getJson(`${second.apiUrl}/status`)).body.height as number;
    expect(resumed).toBeGreaterThanOrEqual(stoppedAt);
    await second.waitForOutput(/synced: height/, 60_000);
    expect(await second.stop('SIGINT')).toBe(0);
    expect(existsSync(join(dataDir, 'chain'))).toBe(true);
  });
});
