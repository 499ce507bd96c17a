import type { ServiceStats } from '@chainsync/service-kit';
import { INSTANCE_FORGET_MS, MAX_INSTANCES } from './limits.js';

/** One endpoint of one instance, as `GET /instances` shows it. */
export interface EndpointRow {
  name: string;
  subject: string;
  queueGroup: string;
  requests: number;
  errors: number;
  /** Over the last two answers of this instance; 0 before the second. */
  requestsPerSecond: number;
  /** Mean processing time per request since the instance started; null before any request. */
  averageMs: number | null;
  lastError: string | null;
}

/** One running process of a service (a replica), wherever it runs. */
export interface InstanceRow {
  service: string;
  id: string;
  version: string;
  node: string;
  host: string;
  pid: string;
  /** Its ops server as it listens (`host:port`): /healthz, /readyz, /metrics. */
  ops: string;
  startedAt: string;
  uptimeSeconds: number;
  /** `up`: answered the latest poll; `silent`: answered an earlier one (gone or cut off). */
  status: 'up' | 'silent';
  lastSeenAgeSeconds: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  errorsPerSecond: number;
  averageMs: number | null;
  lastError: string | null;
  endpoints: EndpointRow[];
}

interface Seen {
  stats: ServiceStats;
  at: number;
  /** The answer before `stats`, for rates. */
  previous?: { stats: ServiceStats; at: number };
}

/** Services in the order a node lists them; others (a newer version's) after, by name. */
const ORDER = ['gossip', 'consensus', 'validator', 'chain-store', 'api'];
const rank = (s: string) => (ORDER.indexOf(s) + ORDER.length + 1) % (ORDER.length + 1);
const ms = (ns: number, n: number) => (n > 0 ? Math.round(ns / n / 1e4) / 100 : null);
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Keeps every instance of one node (its subject prefix) that answered the service protocol:
 * each poll's answers go in, the rows come out with rates between an instance's last two
 * answers. An instance missing from a poll shows as `silent` until INSTANCE_FORGET_MS, then it
 * is dropped (a restarted process answers under a new id). Pure: time is passed in.
 */
export class InstanceTracker {
  private readonly seen = new Map<string, Seen>();
  private lastPoll: number | null = null;

  constructor(private readonly prefix: string) {}

  /** One poll's answers (of every node on this bus: other prefixes are left out). */
  update(answers: ServiceStats[], now: number): void {
    this.lastPoll = now;
    for (const s of answers) {
      if (s.metadata?.prefix !== this.prefix) continue;
      const old = this.seen.get(s.id);
      if (!old && this.seen.size >= MAX_INSTANCES) continue;
      this.seen.set(s.id, { stats: s, at: now, previous: old && { stats: old.stats, at: old.at } });
    }
    for (const [id, s] of this.seen) if (now - s.at > INSTANCE_FORGET_MS) this.seen.delete(id);
  }

  get checkedAt(): number | null {
    return this.lastPoll;
  }

  rows(now: number): InstanceRow[] {
    return [...this.seen.values()]
      .map((s) => row(s, s.at === this.lastPoll, now))
      .sort(
        (a, b) =>
          rank(a.service) - rank(b.service) ||
          a.service.localeCompare(b.service) ||
          a.host.localeCompare(b.host) ||
          Number(a.pid) - Number(b.pid) ||
          a.id.localeCompare(b.id),
      );
  }
}

function row(s: Seen, up: boolean, now: number): InstanceRow {
  const { stats, previous } = s;
  const dt = previous ? (s.at - previous.at) / 1000 : 0;
  const before = new Map(previous?.stats.endpoints.map((e) => [e.name, e]) ?? []);
  const rate = (now: number, then: number | undefined) =>
    dt > 0 && then !== undefined ? round2(Math.max(0, now - then) / dt) : 0;
  const endpoints: EndpointRow[] = stats.endpoints.map((e) => ({
    name: e.name,
    subject: e.subject,
    queueGroup: e.queue_group ?? '',
    requests: e.num_requests,
    errors: e.num_errors,
    requestsPerSecond: rate(e.num_requests, before.get(e.name)?.num_requests),
    averageMs: ms(e.processing_time, e.num_requests),
    lastError: e.last_error || null,
  }));
  const sum = (f: (e: ServiceStats['endpoints'][number]) => number, list = stats.endpoints) =>
    list.reduce((t, e) => t + f(e), 0);
  const prevErrors = previous ? sum((e) => e.num_errors, previous.stats.endpoints) : undefined;
  const md = stats.metadata ?? {};
  const requests = sum((e) => e.num_requests);
  return {
    service: stats.name,
    id: stats.id,
    version: stats.version,
    node: md.node ?? '',
    host: md.host ?? '',
    pid: md.pid ?? '',
    ops: md.ops ?? '',
    startedAt: stats.started,
    uptimeSeconds: Math.max(0, Math.round((now - Date.parse(stats.started)) / 1000)) || 0,
    status: up ? 'up' : 'silent',
    lastSeenAgeSeconds: Math.max(0, Math.round((now - s.at) / 1000)),
    requests,
    errors: sum((e) => e.num_errors),
    requestsPerSecond: round2(endpoints.reduce((t, e) => t + e.requestsPerSecond, 0)),
    errorsPerSecond: rate(
      sum((e) => e.num_errors),
      prevErrors,
    ),
    averageMs: ms(
      sum((e) => e.processing_time),
      requests,
    ),
    lastError: endpoints.find((e) => e.lastError)?.lastError ?? null,
    endpoints,
  };
}
