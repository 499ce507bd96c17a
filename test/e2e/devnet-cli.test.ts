import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TestUdpClient,
  freeUdpPortRange,
  repoRoot,
  startApp,
  startProcess,
  waitFor,
  type ServiceProcess,
} from '@chainsync/testing';
import type { Block } from '@chainsync/protocol';

/** The built CLIs: `npm run chain -- generate|verify` and `npm run devnet -- …`. */

const chainCli = resolve(repoRoot, 'apps/devnet/dist/chain-cli.js');

async function chain(...args: string[]): Promise<{ code: number | string; out: string }> {
  const p = startProcess('chain', process.execPath, [chainCli, ...args], {});
  const code = await p.exited;
  return { code, out: p.output() };
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');

describe('chain CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chain-cli-'));
  const file = (name: string) => join(dir, name);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a chain that verifies, the same for the same seed, and prints the time taken', async () => {
    // The same seed and options twice must give the same file.
    const generateSeeded = (out: string) =>
      chain('generate', '--blocks', '300', '--difficulty', '2', '--seed', 'cli', '--out', file(out));
    const gen = await generateSeeded('a.jsonl');
    expect(gen.code).toBe(0);
    expect(gen.out).toMatch(/generated 300 blocks .* in \d+\.\d+ s/);
    const ver = await chain('verify', file('a.jsonl'), '--difficulty', '2');
    expect(ver.code).toBe(0);
    expect(ver.out).toMatch(/verified 300 blocks .* in \d+\.\d+ s: ok/);
    expect((await generateSeeded('b.jsonl')).code).toBe(0);
    expect(readFileSync(file('b.jsonl'), 'utf8')).toBe(readFileSync(file('a.jsonl'), 'utf8'));
    const first = JSON.parse(lines(file('a.jsonl'))[0]!) as Block & { type: string };
    expect(first).toMatchObject({ type: 'GET_BLOCK_REPLY', height: 0 });
  });

  it('forks from a base chain at a height', async () => {
    const res = await chain(
      'generate',
      '--blocks',
      '320',
      '--difficulty',
      '2',
      '--base',
      file('a.jsonl'),
      '--fork-at',
      '250',
      '--out',
      file('fork.jsonl'),
    );
    expect(res.code).toBe(0);
    expect((await chain('verify', file('fork.jsonl'), '--difficulty', '2')).code).toBe(0);
    const base = lines(file('a.jsonl'));
    const fork = lines(file('fork.jsonl'));
    expect(fork).toHaveLength(320);
    expect(fork.slice(0, 250)).toEqual(base.slice(0, 250));
    expect(fork[250]).not.toEqual(base[250]);
  });

  it('verify names the first bad height and the reason', async () => {
    const bad = lines(file('a.jsonl'));
    const b = JSON.parse(bad[123]!);
    b.timestamp += 1;
    bad[123] = JSON.stringify(b);
    writeFileSync(file('bad.jsonl'), bad.join('\n') + '\n');
    const res = await chain('verify', file('bad.jsonl'), '--difficulty', '2');
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/bad block at height 123: wrong_hash/);
    const weak = await chain('verify', file('a.jsonl'), '--difficulty', '5');
    expect(weak.code).toBe(1);
    expect(weak.out).toMatch(/insufficient_work/);
  });

  it('prints usage on --help and refuses bad arguments with exit code 2', async () => {
    const help = await chain('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/usage:/);
    expect((await chain('generate', '--blocks', '10', '--out', file('x.jsonl'))).code).toBe(2);
    expect(
      (await chain('generate', '--blocks', 'ten', '--difficulty', '1', '--out', file('x.jsonl'))).code,
    ).toBe(2);
    expect((await chain('frobnicate')).code).toBe(2);
    expect((await chain('verify', '--difficulty', '1')).code).toBe(2);
  });
});

describe('devnet CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'devnet-cli-'));
  let devnet: ServiceProcess | undefined;
  let client: TestUdpClient;
  let p0: number;
  let chainLines: string[];

  beforeAll(async () => {
    const file = join(dir, 'chain.jsonl');
    expect((await chain('generate', '--blocks', '40', '--difficulty', '2', '--out', file)).code).toBe(0);
    chainLines = lines(file);
    client = await TestUdpClient.open();
    p0 = await freeUdpPortRange(3);
    devnet = startApp('devnet', { LOG_LEVEL: 'info' }, [
      '--peers',
      '3',
      '--base-port',
      String(p0),
      '--chain',
      file,
      '--difficulty',
      '2',
      '--mine-interval',
      '0.3',
      '--gossip-interval',
      '0.2',
      '--bootstrap',
      `127.0.0.1:${client.port}`,
      '--faults',
      `${p0 + 2}:lie`,
    ]);
  });
  afterAll(async () => {
    client?.close();
    await devnet?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one summary line per peer, serves the chain, gossips to the bootstrap peer and mines', async () => {
    await waitFor(() => (devnet!.output().match(/"msg":"devnet peer /g) ?? []).length === 3, {
      timeoutMs: 20_000,
      what: 'three summary lines',
    });
    expect(devnet!.output()).toMatch(
      new RegExp(`devnet-2 on 127\\.0\\.0\\.1:${p0 + 2}: 40 blocks, .*faults lie`),
    );

    client.send({ host: '127.0.0.1', port: p0 + 1 }, { type: 'GET_BLOCK', height: 7 });
    const reply = await client.waitFor((m) => m.type === 'GET_BLOCK_REPLY' && m.height === 7);
    expect(JSON.stringify(reply)).toBe(chainLines[7]);

    // Every peer knows the bootstrap peer, so each GOSSIPs to it.
    for (const port of [p0, p0 + 1, p0 + 2])
      await client.waitFor((m) => m.type === 'GOSSIP' && m.port === port);
    // The peers take turns mining and ANNOUNCE to every peer in their tables, the bootstrap one included.
    const announced = await client.waitFor((m) => m.type === 'ANNOUNCE' && m.height === 40, 10_000);
    expect(announced).toMatchObject({ type: 'ANNOUNCE', height: 40 });
    client.send({ host: '127.0.0.1', port: p0 }, { type: 'STATS' });
    await client.waitFor((m, f) => f.port === p0 && m.type === 'STATS_REPLY' && m.height > 40, 10_000);
  });

  it('exits cleanly on SIGTERM', async () => {
    const code = await devnet!.kill('SIGTERM');
    expect(code).toBe(0);
    expect(devnet!.output()).toMatch(/devnet stopped/);
  });

  it('refuses a fault for a port outside the devnet', async () => {
    const p = startApp('devnet', {}, [
      '--peers',
      '1',
      '--base-port',
      String(p0),
      '--faults',
      `${p0 + 5}:silent`,
    ]);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/not a devnet peer/);
  });
});
