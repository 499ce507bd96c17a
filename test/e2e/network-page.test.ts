import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { freePort, freeUdpPort, freeUdpPortRange, waitFor } from '@chainsync/testing';
import { generateChain, startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import type { NodeHandle } from '../../apps/node/src/launcher.js';
import { launchChromium } from './chromium.js';
import { launchDevnetNode } from './devnet-node.js';

/**
 * The network map in a real browser (Debian's headless Chromium): a node beside a devnet of four
 * peers — two honest ones mining, one serving a fork, one silent to GET_BLOCK — whose names hold
 * HTML. The page must group the peers by the tip they claim (the fork apart), show the silent
 * peer scored down, sort the table, draw the heights over time, and show every name as text.
 * Leaves a screenshot in test/artifacts/.
 */
const D = 2;
const HOST = '127.0.0.1';
const NAME = '<b>peer</b>';
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'chainsync-network-page-'));
let devnet: Devnet | undefined;
let node: NodeHandle | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await devnet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('maps the network: claims grouped by tip, the fork apart, the silent peer scored down', async () => {
  const chain = await generateChain({ blocks: 300, difficulty: D, seed: 'network-page' });
  const base = await freeUdpPortRange(4);
  const udpPort = await freeUdpPort();
  const httpPort = await freePort();
  const [fork, silent] = [base + 2, base + 3];
  devnet = await startDevnet({
    peers: 4,
    basePort: base,
    chain,
    difficulty: D,
    name: NAME,
    faults: `${fork}:fork=250,${silent}:silent`,
    mineIntervalMs: 2_000,
    gossipIntervalMs: 2_000,
    bootstrap: [{ host: HOST, port: udpPort }],
  });
  node = await launchDevnetNode(devnet, {
    udpPort,
    dataDir,
    name: 'mapped',
    difficulty: D,
    consensusIntervalMs: 3_000,
    services: [{ app: 'api', opsPort: httpPort, env: { SERVICE_READYZ: 'none', OPS_HOST: HOST } }],
  });
  const api = `http://${HOST}:${httpPort}`;
  interface Network {
    tip: { height: number };
    peers: { claim: unknown }[];
    history: { ours: number }[];
  }
  const network = async () => (await (await fetch(`${api}/network`)).json()) as Network;
  // Synced, every peer's claim in, and a few samples of heights since (one every 5 s).
  await waitFor(
    async () => {
      const n = await network();
      return (
        n.tip.height >= 299 &&
        n.peers.filter((p) => p.claim).length === 4 &&
        n.history.filter((h) => h.ours >= 0).length >= 3
      );
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'the node to sync and map every peer' },
  );

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${api}/network.html`);

  const rows = page.locator('#network-peers tr');
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4);
  // The fork is a group of its own, the honest peers and the silent one (same chain) another.
  const forkGroup = page.locator('#groups .group.fork');
  await expect.poll(() => forkGroup.count(), { timeout: 10_000 }).toBe(1);
  expect(await forkGroup.textContent()).toContain(`${HOST}:${fork}`);
  const ours = page.locator('#groups .group.same, #groups .group.behind');
  await expect
    .poll(async () => (await ours.allTextContents()).join(' '), { timeout: 10_000 })
    .toContain(`${HOST}:${silent}`);
  expect(await page.locator('#fork-count').textContent()).toBe('1');
  // The silent peer failed the claim check: its score is down.
  const silentRow = rows.filter({ hasText: `${HOST}:${silent}` });
  await expect
    .poll(async () => Number(((await silentRow.locator('td').nth(6).textContent()) ?? '0').split(',')[0]), {
      timeout: 10_000,
    })
    .toBeLessThan(0);
  // Names are text: the HTML in them shows as typed, and makes no element.
  expect(await page.locator('#network-peers').textContent()).toContain(`${NAME}-0`);
  expect(await page.locator('#network-peers b, #groups b').count()).toBe(0);

  // Sorting: by claimed height (tallest first, then the other way), and by last seen.
  const claims = async () =>
    (await rows.locator('td:nth-child(4)').allTextContents()).map((t) => Number(t.split(' ')[0]));
  await page.locator('th[data-sort="height"]').click(); // was the default (desc): now ascending
  const up = await claims();
  expect(up).toEqual([...up].sort((a, b) => a - b));
  await page.locator('th[data-sort="height"]').click();
  const down = await claims();
  expect(down).toEqual([...down].sort((a, b) => b - a));
  expect(down[0]).toBeGreaterThan(down[down.length - 1]!); // the fork stopped at 250 blocks while the others mine
  await page.locator('th[data-sort="lastSeen"]').click();
  expect(await page.locator('th[data-sort="lastSeen"]').getAttribute('data-dir')).toBe('desc');

  // Heights over time: ours and the agreed tip drawn, the agreed one never above the tallest claim.
  for (const id of ['#history-ours', '#history-agreed', '#history-tallest'])
    expect(
      ((await page.locator(id).getAttribute('points')) ?? '').split(' ').length,
      id,
    ).toBeGreaterThanOrEqual(3);
  const agreed = Number(await page.locator('#agreed').textContent());
  expect(agreed).toBeGreaterThanOrEqual(299);
  expect(agreed).toBeLessThanOrEqual(Number(await page.locator('#tallest').textContent()));

  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, 'network.png');
  await page.screenshot({ path: shot, fullPage: true });
  expect(statSync(shot).size).toBeGreaterThan(10_000);
});
