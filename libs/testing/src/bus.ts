import type { BusRole } from '@chainsync/protocol';
import { connectBus, createLogger, Metrics, type Bus, type BusAuth } from '@chainsync/service-kit';

/**
 * A typed bus client for tests and benches: silent logs, its own metrics registry. On a bus with
 * permissions it needs a role (and that role's credentials in `auth`).
 */
export function connectTestBus(
  url: string,
  prefix: string,
  name = 'test',
  opts: { role?: BusRole; auth?: BusAuth } = {},
): Promise<Bus> {
  return connectBus({
    url,
    prefix,
    name,
    role: opts.role ?? 'observer',
    auth: opts.auth,
    log: createLogger(name, 'test', 'silent'),
    metrics: new Metrics(name, 'test'),
  });
}
