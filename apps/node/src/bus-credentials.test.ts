import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUS_ROLES } from '@chainsync/protocol';
import { parseBusAuthArgs } from './bus-auth.js';
import { ensureBusCredentials, natsServerConfig, nkeyFile, writeServerConfig } from './bus-credentials.js';

const root = mkdtempSync(join(tmpdir(), 'cs-bus-creds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bus credentials', () => {
  it('makes one private key per role on first use and keeps them', () => {
    const dir = join(root, 'a');
    const first = ensureBusCredentials(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(nkeyFile(dir, 'validator')).mode & 0o777).toBe(0o600);
    expect(readFileSync(nkeyFile(dir, 'validator'), 'utf8')).toMatch(/^SU[A-Z2-7]+$/m);
    expect(new Set(Object.values(first.users)).size).toBe(6);
    expect(ensureBusCredentials(dir)).toEqual(first);
  });

  it('writes a configuration nats-server accepts, holding public keys only', () => {
    const creds = ensureBusCredentials(join(root, 'b'));
    const opts = parseBusAuthArgs([
      '--out',
      creds.dir,
      '--cluster',
      'c1',
      '--routes',
      'n1:6222,n2:6222,n3:6222',
      '--tls-cert',
      '/x/cert.pem',
      '--tls-key',
      '/x/key.pem',
      '--tls-ca',
      '/x/ca.pem',
    ]);
    if (opts.help) throw new Error('help');
    const text = natsServerConfig(creds, { ...opts.options.config, tls: undefined });
    for (const key of Object.values(creds.users)) expect(text).toContain(key);
    for (const role of BUS_ROLES) {
      const seed = /^SU[A-Z2-7]+$/m.exec(readFileSync(nkeyFile(creds.dir, role), 'utf8'))![0];
      expect(text).not.toContain(seed);
    }
    expect(text).toContain('"nats://chainsync-route:');
    const file = writeServerConfig(creds, { ...opts.options.config, tls: undefined });
    const check = spawnSync('nats-server', ['-t', '-c', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(natsServerConfig(creds, opts.options.config)).toMatch(/tls \{\n {4}cert_file: "\/x\/cert.pem"/);
  });

  it('refuses half a cluster or half a TLS setup', () => {
    expect(() => parseBusAuthArgs([])).toThrow(/--out/);
    expect(() => parseBusAuthArgs(['--out', 'd', '--cluster', 'c'])).toThrow(/--routes/);
    expect(() => parseBusAuthArgs(['--out', 'd', '--tls-cert', 'c'])).toThrow(/--tls-key/);
    expect(() => parseBusAuthArgs(['--out', 'd', '--tls-verify'])).toThrow(/--tls-ca/);
  });
});
