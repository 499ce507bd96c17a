import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_OPS_PORTS } from '../../apps/node/src/service-options.js';

/**
 * The compose stack's Prometheus (`--profile monitoring`): its configuration and alert rules pass
 * promtool, the alerts' unit tests pass, and it scrapes every service on the port it listens on.
 */
const dir = fileURLToPath(new URL('../../docker/prometheus/', import.meta.url));
const promtool = (...args: string[]) => {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool: ${r.error.message} (apt-get install prometheus; npm test does)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('Prometheus in compose', () => {
  it('has a configuration and rules promtool accepts', () => {
    const config = promtool('check', 'config', 'prometheus.yml');
    expect(config.status, config.out).toBe(0);
    const rules = promtool('check', 'rules', 'alerts.yml');
    expect(rules.status, rules.out).toBe(0);
    expect(rules.out).toMatch(/SUCCESS: 8 rules found/);
  });

  it('fires each alert when it should and not otherwise (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'alerts.test.yml');
    expect(r.status, r.out).toBe(0);
    const tested = new Set(
      [...readFileSync(`${dir}/alerts.test.yml`, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
    );
    const defined = [...readFileSync(`${dir}/alerts.yml`, 'utf8').matchAll(/- alert: (\w+)/g)].map(
      (m) => m[1],
    );
    expect(defined.filter((a) => !tested.has(a))).toEqual([]);
  });

  it('scrapes every replica of every service on its ops port, found by DNS', () => {
    const text = readFileSync(`${dir}/prometheus.yml`, 'utf8');
    for (const [service, port] of Object.entries(SERVICE_OPS_PORTS)) {
      const job = new RegExp(
        `job_name: chainsync-${service}\\n\\s+dns_sd_configs:\\n\\s+- names: \\[${service}\\]\\n\\s+type: A\\n\\s+port: (\\d+)`,
      );
      expect(job.exec(text)?.[1], service).toBe(String(port));
    }
  });
});
