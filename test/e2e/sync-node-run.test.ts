import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freeUdpPort,
  freeUdpPortRange,
  repoRoot,
  startProcess,
  waitFor,
  type ServiceProcess,
} from '@chainsync/testing';
import { SERVICE_NODE_ARGS } from '@chainsync/service-kit';
import { startDevnet, type Devnet } from '../../apps/devnet/src/index.js';
import { NodeClient } from '../../apps/node/src/node-client.js';

/**
 * `npm run node`: the launcher as a command. One whole node (its own nats-server and every
 * service as a child process) syncs a small devnet; SIGTERM to the command stops every process.
 */

const HOST = '127.0.0.1';
let devnet: Devnet | undefined;
let run: ServiceProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-node-run-'));

afterAll(async () => {
  // SIGTERM, so the command stops its children even when a test failed midway (SIGKILL after 10 s).
  await run?.kill('SIGTERM');
  await devnet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run node', () => {
  it('starts a whole node that syncs, and stops every process on SIGTERM', async () => {
    const base = await freeUdpPortRange(2);
    devnet = await startDevnet({ peers: 2, basePort: base, blocks: 300, difficulty: 1 });
    const udpPort = await freeUdpPort();
    run = startProcess(
      'node-run',
      process.execPath,
      [
        join(repoRoot, 'apps/node/dist/main.js'),
        'run',
        '--peers',
        devnet.peers.map((p) => `${HOST}:${p.port}`).join(','),
        '--udp-port',
        String(udpPort),
        '--advertise-host',
        HOST,
        '--difficulty',
        '1',
        '--data-dir',
        dataDir,
        '--validators',
        '1',
        '--prefix',
        `run_${udpPort}`,
        '--log-dir',
        join(dataDir, 'logs'),
      ],
      { UDP_HOST: HOST, STATS_WINDOW_MS: '300' },
    );
    const line = await waitFor(() => /node "chainsync" up .*$/m.exec(run!.output())?.[0], {
      timeoutMs: 60_000,
      what: 'the node to come up',
    });
    const natsUrl = /NATS (nats:\/\/\S+)/.exec(line)![1]!;
    const pids = JSON.parse(/pids (\{.*\})/.exec(line)![1]!) as Record<string, number>;
    expect(Object.keys(pids).sort()).toEqual([
      'chain-store',
      'consensus',
      'gossip',
      'nats-server',
      'validator-1',
    ]);

    // The private bus admits only the roles whose keys the launcher made in the data dir.
    expect(/bus credentials in ([^\s)]+)/.exec(line)?.[1]).toBe(join(dataDir, 'bus'));
    const client = await NodeClient.connect(natsUrl, `run_${udpPort}`, {
      nkeyFile: join(dataDir, 'bus', 'observer.nk'),
    });
    try {
      await waitFor(
        async () => {
          const s = await client.status();
          return s.phase === 'synced' && s.tip.height === 299;
        },
        { timeoutMs: 30_000, what: 'the node synced at height 299' },
      );
      expect(await client.tip()).toEqual({ height: 299, hash: devnet.chain[299]!.hash });
    } finally {
      await client.close();
    }
    // Every service did its work within its own permissions: the server refused nothing.
    expect(readFileSync(join(dataDir, 'logs', 'nats-server.log'), 'utf8')).not.toMatch(/violation|authoriz/i);
    // Every service runs on the launcher's own node (the project's pinned one) and says so first.
    expect(line).toContain(`up on Node.js ${process.version} —`);
    for (const name of Object.keys(pids).filter((n) => n !== 'nats-server')) {
      const first = readFileSync(join(dataDir, 'logs', `${name}.log`), 'utf8').split('\n')[0]!;
      expect(JSON.parse(first), name).toMatchObject({ msg: 'starting', nodeVersion: process.version });
      const argv = readFileSync(`/proc/${pids[name]}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(0, 1 + SERVICE_NODE_ARGS.length), name).toEqual([
        process.execPath,
        ...SERVICE_NODE_ARGS,
      ]);
    }

    expect(await run.kill('SIGTERM')).toBe(0);
    expect(run.output()).toMatch(/SIGTERM, stopping every service/);
    for (const [name, pid] of Object.entries(pids))
      expect(alive(pid), `${name} (${pid}) still running`).toBe(false);
  });

  it('takes its children along when a program using launchNode() is terminated', async () => {
    const udpPort = await freeUdpPort();
    const options = {
      peers: [`${HOST}:${await freeUdpPort()}`],
      udpPort,
      udpHost: HOST,
      advertiseHost: HOST,
      difficulty: 1,
      dataDir: join(dataDir, 'lib'),
      name: 'lib',
      validators: 1,
      prefix: `lib_${udpPort}`,
      logDir: join(dataDir, 'lib-logs'),
    };
    const launcher = join(repoRoot, 'apps/node/dist/launcher.js');
    const script = `const { launchNode } = await import(${JSON.stringify(launcher)});
const node = await launchNode(${JSON.stringify(options)});
console.log('PIDS ' + JSON.stringify(node.pids));
setInterval(() => {}, 1000);`;
    const host = startProcess('lib-host', process.execPath, ['--input-type=module', '-e', script], {});
    try {
      const line = await waitFor(() => /PIDS (\{.*\})/.exec(host.output())?.[1], {
        timeoutMs: 60_000,
        what: 'the program to launch its node',
      });
      const pids = JSON.parse(line) as Record<string, number>;
      expect(Object.keys(pids)).toContain('consensus');
      await host.kill('SIGTERM');
      await waitFor(() => Object.values(pids).every((pid) => !alive(pid)), {
        timeoutMs: 15_000,
        what: 'every child to exit',
      });
    } finally {
      await host.kill('SIGTERM');
    }
  });
});
