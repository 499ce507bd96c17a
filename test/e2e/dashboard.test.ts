import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '@chainsync/testing';
import { launchChromium } from './chromium.js';
import { startCli, type StartCli } from './start-cli.js';

/**
 * The dashboard in a real browser (Debian's headless Chromium) against a live node whose devnet
 * mines a block every second: the height shown must rise, and the page must show the peers, the
 * latest blocks and every service healthy. Leaves a screenshot in test/artifacts/.
 */
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'chainsync-dashboard-'));
let cli: StartCli | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await cli?.stop('SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
});

it('shows a live node: the height rises while the devnet mines', async () => {
  cli = await startCli(dataDir);
  await cli.waitForOutput(/synced: height/, 120_000);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${cli.apiUrl}/`);

  const shownHeight = async () => Number(await page.locator('#height').textContent());
  const first = await waitFor(async () => ((await shownHeight()) >= 399 ? shownHeight() : undefined), {
    timeoutMs: 15_000,
    what: 'the dashboard to show the synced height',
  });
  // The devnet mines every second: within a few the page must show a taller chain.
  await waitFor(async () => (await shownHeight()) > first, { timeoutMs: 20_000, what: 'the height to rise' });

  await expect.poll(() => page.locator('#phase').textContent(), { timeout: 10_000 }).toBe('synced');
  await expect.poll(() => page.locator('#peers tr').count(), { timeout: 10_000 }).toBe(3);
  await expect.poll(() => page.locator('#blocks tr').count(), { timeout: 10_000 }).toBe(10);
  await expect.poll(() => page.locator('#services .dot.ok').count(), { timeout: 10_000 }).toBe(5);
  // Every process on its own row, from the service protocol: gossip, consensus, 2 validators, chain-store, api.
  await expect
    .poll(() => page.locator('#instances tr[data-status="up"]').count(), { timeout: 10_000 })
    .toBe(6);
  expect(await page.locator('#instances tr[data-service="validator"]').count()).toBe(2);
  expect(await page.locator('#blocks').textContent()).toMatch(/devnet-\d/);
  // The sparkline draws once the api has a few 1 Hz height samples.
  await expect
    .poll(async () => ((await page.locator('#spark-line').getAttribute('points')) ?? '').split(' ').length, {
      timeout: 15_000,
    })
    .toBeGreaterThanOrEqual(3);

  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  expect(statSync(shot).size).toBeGreaterThan(10_000);
});
