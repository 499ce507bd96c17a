import { PROBE_INTERVAL_MS, PROBE_TIMEOUT_MS } from './limits.js';
import type { ProbeTarget } from './service-urls.js';

export interface ServiceHealth {
  name: string;
  url: string;
  /** `/readyz` answered 200. */
  ready: boolean;
  /** HTTP status, or null when the service did not answer. */
  status: number | null;
  /** Readiness checks the service reports as failing (from its 503 body). */
  failing: string[];
  /** Why the probe failed (`timeout`, `unreachable`), when it did. */
  error: string | null;
  /** Epoch ms of the last probe; null before the first one finished. */
  checkedAt: number | null;
}

/** Reads a `/readyz` body (`{ready, failing}`) defensively: it comes over the network. */
export function failingChecks(body: unknown): string[] {
  const failing = (body as { failing?: unknown } | null)?.failing;
  return Array.isArray(failing) ? failing.filter((f): f is string => typeof f === 'string').slice(0, 16) : [];
}

/** Probes one `/readyz` with a timeout; never throws. */
export async function probe(target: ProbeTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<ServiceHealth> {
  const base = { name: target.name, url: target.url, checkedAt: Date.now() };
  try {
    const res = await fetch(target.url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.json().catch(() => null);
    return {
      ...base,
      ready: res.status === 200,
      status: res.status,
      failing: failingChecks(body),
      error: null,
    };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return { ...base, ready: false, status: null, failing: [], error: timedOut ? 'timeout' : 'unreachable' };
  }
}

/** Keeps the latest health of every listed service, probing them all on an interval. */
export class HealthProbe {
  private latest: ServiceHealth[];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly targets: ProbeTarget[],
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {
    this.latest = targets.map((t) => ({
      ...t,
      ready: false,
      status: null,
      failing: [],
      error: null,
      checkedAt: null,
    }));
  }

  snapshot(): ServiceHealth[] {
    return this.latest;
  }

  start(): void {
    const tick = async () => {
      if (this.running) return;
      this.running = true;
      try {
        this.latest = await Promise.all(this.targets.map((t) => probe(t)));
      } finally {
        this.running = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
