import { existsSync } from 'node:fs';
import { SERVICE_NODE_ARGS, serviceEntry, serviceEnv } from '@chainsync/service-kit';
import { repoRoot, spawnChild, Supervised } from './launcher.js';
import { parseOrExit } from './cli.js';
import { parseServiceArgs, SERVICE_USAGE } from './service-options.js';

/** How often the terminal learns whether each process is ready (its /readyz). */
const READY_POLL_MS = 2_000;

/**
 * `npm run service -- NAME [flags]`: one service of a node (×N for validators) in the foreground,
 * against a NATS that may be on another machine. Its processes are restarted when they die, as
 * the launcher does; a line says when each becomes ready or stops being ready (a lost link to
 * NATS), since a remote service waits for its NATS rather than failing.
 */
export async function main(args: string[]): Promise<void> {
  const o = parseOrExit('service', SERVICE_USAGE, () => parseServiceArgs(args, process.env));
  if (!o) return;
  const mainJs = serviceEntry(repoRoot, o.app);
  if (!existsSync(mainJs)) {
    process.stderr.write(`chainsync service: ${mainJs} is missing: build first (npm run build)\n`);
    process.exit(1);
  }
  const say = (line: string) => process.stderr.write(`chainsync service: ${line}\n`);
  const children = o.opsPorts.map((port, i) => {
    const name = o.count > 1 ? `${o.app}-${i + 1}` : o.app;
    const env = { ...serviceEnv(), ...o.env, OPS_PORT: String(port) };
    const child = new Supervised(
      name,
      () => spawnChild(name, process.execPath, [...SERVICE_NODE_ARGS, mainJs], env, undefined, true),
      () => undefined,
      () => undefined,
    );
    child.supervise();
    return { name, port, child, ready: false };
  });
  say(
    `${o.app} ×${o.count} on Node.js ${process.version} — NATS ${o.env.NATS_URL} (prefix ${o.env.NODE_PREFIX}), ` +
      `ops ${o.env.OPS_HOST}:${o.opsPorts.join(',')}, pids ${children.map((c) => c.child.current.proc.pid).join(',')}`,
  );
  const host = o.env.OPS_HOST === '0.0.0.0' ? '127.0.0.1' : o.env.OPS_HOST!;
  const poll = setInterval(() => {
    for (const c of children) {
      void fetch(`http://${host}:${c.port}/readyz`, { signal: AbortSignal.timeout(1_500) })
        .then(async (r) => ({ ok: r.ok, body: (await r.json().catch(() => ({}))) as { failing?: string[] } }))
        .catch(() => ({ ok: false, body: { failing: ['no answer'] } }))
        .then(({ ok, body }) => {
          if (ok === c.ready) return;
          c.ready = ok;
          say(
            ok ? `${c.name} ready` : `${c.name} not ready (${(body.failing ?? []).join(', ') || 'unknown'})`,
          );
        });
    }
  }, READY_POLL_MS);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(poll);
    say(`${signal}, stopping…`);
    void Promise.all(children.map((c) => c.child.stop())).then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}
