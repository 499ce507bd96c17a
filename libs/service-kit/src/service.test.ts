import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { LIFELINE_FD_ENV, ORPHAN_EXIT_MS } from './lifeline.js';
import { collectServiceStats } from './service-api.js';
import {
  freePort,
  startNatsServer,
  startProcess,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
} from '@chainsync/testing';

const sample = fileURLToPath(new URL('./testdata/sample-service.ts', import.meta.url));
const runSample = (env: Record<string, string>) =>
  startProcess('sample', process.execPath, ['--import', 'tsx', sample], { LOG_LEVEL: 'warn', ...env });
/** The sample as a launcher starts it: the read end of a pipe on fd 3, named in the env. */
function runWithLifeline(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', sample], {
    env: { ...process.env, LOG_LEVEL: 'info', [LIFELINE_FD_ENV]: '3', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  return { proc, exited, output: () => out, cutLifeline: () => proc.stdio[3]!.destroy() };
}
const readyStatus = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status;

describe('service kit with a real nats-server', () => {
  let nats: NatsServerHandle;
  let svc: ServiceProcess;
  let opsPort: number;

  beforeAll(async () => {
    nats = await startNatsServer();
    opsPort = await freePort();
    svc = runSample({ NATS_URL: nats.url, OPS_PORT: String(opsPort), NODE_PREFIX: 'kit' });
    await waitFor(async () => (await readyStatus(opsPort)) === 200, { timeoutMs: 20_000, what: 'ready' });
  });
  afterAll(async () => {
    await svc?.kill();
    await nats?.stop();
  });

  it('is ready, answers typed requests under its prefix, and rejects malformed payloads', async () => {
    const nc = await connect({ servers: nats.url });
    const reply = await nc.request('kit.store.tip', '{}', { timeout: 2000 });
    expect(reply.json()).toEqual({ ok: true, tip: { height: -1, hash: null } });
    const bad = await nc.request('kit.store.tip', 'not json', { timeout: 2000 });
    expect(bad.json()).toMatchObject({ ok: false, code: 'bad_json' });
    const wrong = await nc.request('kit.store.tip', '[1]', { timeout: 2000 });
    expect(wrong.json()).toMatchObject({ ok: false, code: 'bad_request' });
    await nc.close();
  });

  it('readyz follows the NATS connection: 200 → 503 when NATS stops → 200 after restart', async () => {
    expect(await readyStatus(opsPort)).toBe(200);
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);
    await nats.stop();
    await waitFor(async () => (await readyStatus(opsPort)) === 503, { timeoutMs: 15_000, what: '503' });
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);
    await nats.start();
    await waitFor(async () => (await readyStatus(opsPort)) === 200, { timeoutMs: 15_000, what: '200 again' });
  });

  it('serves Prometheus metrics with default and own metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP chainsync_sample_tips_served_total/m);
    expect(text).toMatch(/chainsync_sample_process_resident_memory_bytes|process_resident_memory_bytes/);
    expect(text).toMatch(/chainsync_sample_bus_requests_served_total\{endpoint="store.tip",result="ok"/);
  });

  it('answers the NATS service protocol with its id, version, start and per-endpoint stats', async () => {
    const nc = await connect({ servers: nats.url });
    const ping = (await nc.request('$SRV.PING.sample', '', { timeout: 2000 })).json<{ id: string }>();
    expect(ping).toMatchObject({ type: 'io.nats.micro.v1.ping_response', name: 'sample', version: '0.1.0' });
    const info = (await nc.request(`$SRV.INFO.sample.${ping.id}`, '', { timeout: 2000 })).json();
    expect(info).toMatchObject({
      type: 'io.nats.micro.v1.info_response',
      id: ping.id,
      metadata: { prefix: 'kit', ops: `127.0.0.1:${opsPort}` },
      endpoints: [{ name: 'store.tip', subject: 'kit.store.tip', queue_group: '' }],
    });
    const before = await collectServiceStats(nc, { waitMs: 300, maxInstances: 10 });
    const served = (s: typeof before) => s.stats.find((x) => x.id === ping.id)!.endpoints[0]!;
    await nc.request('kit.store.tip', '{}', { timeout: 2000 });
    await nc.request('kit.store.tip', '[1]', { timeout: 2000 });
    const after = await collectServiceStats(nc, { waitMs: 300, maxInstances: 10 });
    expect(after.malformed).toBe(0);
    expect(Date.parse(after.stats.find((x) => x.id === ping.id)!.started)).toBeLessThanOrEqual(Date.now());
    expect(served(after).num_requests - served(before).num_requests).toBe(2);
    expect(served(after).num_errors - served(before).num_errors).toBe(1);
    expect(served(after).last_error).toMatch(/^bad_request: /);
    expect(served(after).processing_time).toBeGreaterThan(0);
    await nc.close();
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await svc.kill('SIGTERM');
    expect(code).toBe(0);
  });
});

describe('config', () => {
  it('a bad value exits with status 2 and one line naming the variable, value and expectation', async () => {
    const p = runSample({ OPS_PORT: 'abc' });
    expect(await p.exited).toBe(2);
    const lines = p.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/OPS_PORT="abc".*expected integer/);
  });

  it('logs the Node.js version it runs on in its first line', async () => {
    // Nothing listens on this port: the line comes before NATS is tried.
    const p = runSample({
      LOG_LEVEL: 'info',
      OPS_PORT: '0',
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    });
    await waitFor(() => p.output().includes('"msg":"starting"'), {
      timeoutMs: 20_000,
      what: 'the start line',
    });
    await p.kill();
    const first = JSON.parse(p.output().split('\n')[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ msg: 'starting', service: 'sample', nodeVersion: process.version });
  });

  it('names a bad NATS_URL too', async () => {
    const p = runSample({ NATS_URL: 'http://x', OPS_PORT: '0' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/NATS_URL="http:\/\/x".*expected string matching/);
  });
});

describe('lifeline', () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  const startReady = async (env: Record<string, string> = {}) => {
    const opsPort = await freePort();
    const svc = runWithLifeline({
      NATS_URL: nats.url,
      OPS_PORT: String(opsPort),
      NODE_PREFIX: 'life',
      ...env,
    });
    await waitFor(async () => (await readyStatus(opsPort)) === 200, { timeoutMs: 20_000, what: 'ready' });
    return svc;
  };
  /** Whether the process exits within `ms` (well under close-with-grace's 10 s fallback). */
  const exitsWithin = (svc: { exited: Promise<unknown> }, ms: number) =>
    Promise.race([svc.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

  it('shuts the service down gracefully when the launcher end of the pipe closes', async () => {
    const svc = await startReady();
    expect(await exitsWithin(svc, 300)).toBe(false); // alive while the launcher is
    svc.cutLifeline();
    expect(await exitsWithin(svc, 5_000)).toBe(true);
    expect(await svc.exited).toBe(0);
    expect(svc.output()).toMatch(/launcher gone/);
  });

  it('exits after ORPHAN_EXIT_MS when its graceful shutdown hangs (say, draining a dead NATS)', async () => {
    const svc = await startReady({ SAMPLE_CLOSE_MS: '8000' });
    svc.cutLifeline();
    expect(await exitsWithin(svc, ORPHAN_EXIT_MS + 2_000)).toBe(true);
    expect(await svc.exited).toBe(1);
  });

  it('runs without a lifeline when the variable is unset (compose, by hand)', async () => {
    const opsPort = await freePort();
    const svc = runSample({ NATS_URL: nats.url, OPS_PORT: String(opsPort), NODE_PREFIX: 'life' });
    await waitFor(async () => (await readyStatus(opsPort)) === 200, { timeoutMs: 20_000, what: 'ready' });
    expect(await svc.kill('SIGTERM')).toBe(0);
  });
});
