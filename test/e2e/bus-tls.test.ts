import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { Bus, BusAuth } from '@chainsync/service-kit';
import { natsConnectOptions } from '@chainsync/service-kit';
import {
  connectTestBus,
  freePort,
  startNatsServer,
  startService,
  waitFor,
  type NatsServerHandle,
  type StartedService,
} from '@chainsync/testing';
import { syntheticChain } from '../../apps/chain-store/src/synthetic.js';
import { ensureBusCredentials, roleAuth, writeServerConfig } from '../../apps/node/src/bus-credentials.js';

/**
 * TLS between hosts, with a CA made here by openssl: two nats-servers in a cluster whose routes
 * and clients all speak TLS and must show certificates of that CA (and each client its role's key,
 * as `npm run bus-auth -- --tls-cert … --tls-ca … --tls-verify --cluster …` configures them). A
 * validator on one server answers consensus on the other, across the TLS route; a client that
 * does not trust the CA, or has no certificate of it, is refused.
 */

const prefix = 'tls';
let dir: string;
const servers: NatsServerHandle[] = [];
let validator: StartedService;
let bus: Bus;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and a certificate of it for `name` valid for 127.0.0.1 as server and as client. */
function makePki(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=chainsync test CA',
  );
  for (const name of ['server', 'client']) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=chainsync ${name}`);
    writeFileSync(
      join(dir, `${name}.ext`),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
}

const tlsFiles = () => ({
  caFile: join(dir, 'ca.pem'),
  certFile: join(dir, 'client.pem'),
  keyFile: join(dir, 'client.key'),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chainsync-tls-'));
  makePki();
  const creds = ensureBusCredentials(join(dir, 'bus'));
  const routePorts = [await freePort(), await freePort()];
  const routes = routePorts.map((p) => `127.0.0.1:${p}`);
  for (const [i, port] of routePorts.entries()) {
    const config = writeServerConfig(
      creds,
      {
        prefix,
        tls: {
          certFile: join(dir, 'server.pem'),
          keyFile: join(dir, 'server.key'),
          caFile: join(dir, 'ca.pem'),
          verifyClients: true,
        },
        cluster: { name: 'tls-test', port, routes },
      },
      `nats-${i}.conf`,
    );
    servers.push(await startNatsServer({ configFile: config, args: ['-n', `tls-${i}`] }));
  }
  const auth = (role: 'validator' | 'consensus'): BusAuth => ({
    ...roleAuth(creds.dir, role),
    tls: tlsFiles(),
  });
  validator = await startService('validator', servers[1]!.url, prefix, {
    NATS_NKEY_FILE: auth('validator').nkeyFile!,
    NATS_TLS_CA_FILE: tlsFiles().caFile,
    NATS_TLS_CERT_FILE: tlsFiles().certFile,
    NATS_TLS_KEY_FILE: tlsFiles().keyFile,
  });
  bus = await connectTestBus(servers[0]!.url, prefix, 'tls-test', {
    role: 'consensus',
    auth: auth('consensus'),
  });
});

afterAll(async () => {
  await bus?.drain().catch(() => undefined);
  await validator?.proc.kill();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS between hosts', () => {
  it('carries a request from consensus on one server to a validator on the other, both TLS', async () => {
    expect(bus.nc.info?.tls_required).toBe(true);
    const chain = syntheticChain(3, { difficulty: 1 });
    const reply = await waitFor(
      () =>
        bus
          .call('validate', { difficulty: 1, prevHash: null, firstHeight: 0, blocks: chain })
          .catch(() => undefined),
      { timeoutMs: 15_000, what: 'the cluster route to carry the request' },
    );
    expect(reply.verdicts).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(bus.nc.getServer()).toBe(`127.0.0.1:${servers[0]!.port}`);
  });

  it('refuses a client that does not trust the CA, and one without a certificate of it', async () => {
    const base = natsConnectOptions({
      url: servers[0]!.url,
      name: 'no-ca',
      role: 'consensus',
      prefix,
      auth: { nkeyFile: join(dir, 'bus', 'consensus.nk') },
    });
    await expect(connect({ ...base, reconnect: false })).rejects.toThrow(/certificate/i);
    await expect(
      connect({ ...base, tls: { caFile: tlsFiles().caFile }, reconnect: false, timeout: 3_000 }),
      // The server refuses the handshake (no client certificate): with TLS 1.3 the client may read
      // the server's alert, or find the connection already reset before it could.
    ).rejects.toThrow(/alert bad certificate|certificate required|ECONNRESET/i);
  });
});
