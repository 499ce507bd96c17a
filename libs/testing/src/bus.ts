import { connectBus, createLogger, Metrics, type Bus } from '@chainsync/service-kit';

/** A typed bus client for tests and benches: silent logs, its own metrics registry. */
export function connectTestBus(url: string, prefix: string, name = 'test'): Promise<Bus> {
  return connectBus({
    url,
    prefix,
    name,
    log: createLogger(name, 'test', 'silent'),
    metrics: new Metrics(name, 'test'),
  });
}
