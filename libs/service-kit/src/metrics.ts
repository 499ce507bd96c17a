import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A per-service Prometheus registry whose metric names follow `chainsync_<service>_<thing>_<unit>`.
 * Helpers take the bare thing name and add the prefix, so names cannot drift.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly prefix: string;

  constructor(service: string, node: string) {
    this.prefix = `chainsync_${service.replace(/-/g, '_')}_`;
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ): Histogram<L> {
    return new Histogram({ name: this.prefix + name, help, labelNames, buckets, registers: [this.registry] });
  }
}
