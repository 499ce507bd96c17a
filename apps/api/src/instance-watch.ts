import type { FastifyInstance } from 'fastify';
import { collectServiceStats, type Bus, type Metrics, type RateLimitedLog } from '@chainsync/service-kit';
import { InstanceTracker } from './instances.js';
import { INSTANCE_POLL_MS, INSTANCE_WAIT_MS, MAX_INSTANCES } from './limits.js';
import { InstancesSchema } from './schemas.js';

/**
 * Every instance of every service of this node, read over the bus with the NATS service protocol
 * (`$SRV.STATS`) every INSTANCE_POLL_MS, so each replica shows on its own — wherever it runs —
 * instead of the one a DNS name or a port happens to reach. Served as `GET /instances`.
 */
export class InstanceWatch {
  readonly tracker: InstanceTracker;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly gauge;
  private readonly malformed;

  constructor(
    readonly prefix: string,
    metrics: Metrics,
    private readonly warnings: RateLimitedLog,
  ) {
    this.tracker = new InstanceTracker(prefix);
    this.gauge = metrics.gauge('instances', 'Service instances of this node seen on the bus, by status', [
      'service',
      'status',
    ]);
    this.malformed = metrics.counter(
      'instance_answers_refused_total',
      'Service-protocol answers not matching it',
    );
  }

  start(bus: Bus): void {
    const tick = async () => {
      if (this.running) return;
      this.running = true;
      try {
        const { stats, malformed } = await collectServiceStats(bus.nc, {
          waitMs: INSTANCE_WAIT_MS,
          maxInstances: MAX_INSTANCES * 2,
        });
        if (malformed > 0) this.malformed.inc(malformed);
        const now = Date.now();
        this.tracker.update(stats, now);
        this.gauge.reset();
        for (const r of this.tracker.rows(now)) this.gauge.inc({ service: r.service, status: r.status });
      } catch (err) {
        this.warnings.warn(
          'instances_poll_failed',
          { err: (err as Error).message },
          'service stats poll failed',
        );
      } finally {
        this.running = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), INSTANCE_POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  register(app: FastifyInstance): void {
    app.get('/instances', { schema: { response: { 200: InstancesSchema } } }, () => {
      const now = Date.now();
      return { prefix: this.prefix, checkedAt: this.tracker.checkedAt, instances: this.tracker.rows(now) };
    });
  }
}
