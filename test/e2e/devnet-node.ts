import { join } from 'node:path';
import type { Devnet } from '../../apps/devnet/src/index.js';
import { launchNode, type NodeHandle, type NodeOptions } from '../../apps/node/src/launcher.js';

const HOST = '127.0.0.1';

/**
 * A whole node (launchNode) on loopback whose bootstrap peers are a devnet's, as the sync and
 * consensus end-to-end tests run it. With E2E_LOG_DIR set, each service logs at info level to
 * `$E2E_LOG_DIR/<name>/`; otherwise only warnings, to the test's output.
 */
export function launchDevnetNode(
  devnet: Devnet,
  opts: { udpPort: number; dataDir: string; name: string; difficulty: number } & Partial<NodeOptions>,
): Promise<NodeHandle> {
  const logDir = process.env.E2E_LOG_DIR;
  return launchNode({
    peers: devnet.peers.map((p) => `${HOST}:${p.port}`),
    udpHost: HOST,
    advertiseHost: HOST,
    validators: 2,
    prefix: `${opts.name.replace(/\W/g, '_')}_${opts.udpPort}`,
    statsWindowMs: 400,
    logDir: logDir ? join(logDir, opts.name) : undefined,
    logLevel: logDir ? 'info' : 'warn',
    ...opts,
  });
}
