import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SERVICE_API_PREFIX, SERVICE_API_VERBS } from '@chainsync/protocol';

/**
 * The NATS service protocol (ADR-32, what `nats micro ls|info|stats` asks): every instance of a
 * service answers `$SRV.PING|INFO|STATS`, `…<VERB>.<name>` and `…<VERB>.<name>.<id>` with its
 * id, version, start time and per-endpoint request counts, errors and processing time, so each
 * replica can be seen on its own wherever it runs. Answered here rather than with
 * `@nats-io/services`, which is only published as a prerelease that pulls a second, older
 * nats-core beside transport-node's.
 */

const TYPE = {
  PING: 'io.nats.micro.v1.ping_response',
  INFO: 'io.nats.micro.v1.info_response',
  STATS: 'io.nats.micro.v1.stats_response',
} as const;

/** One endpoint's counters, as STATS reports them (times in nanoseconds). */
export interface EndpointStats {
  name: string;
  subject: string;
  queue_group: string;
  num_requests: number;
  num_errors: number;
  last_error: string;
  processing_time: number;
  average_processing_time: number;
}

/** The counters of every request endpoint a process serves (Bus.serve records into it). */
export class EndpointStatsTable {
  private readonly byName = new Map<string, EndpointStats>();

  add(name: string, subject: string, queue: string): void {
    if (this.byName.has(name)) return;
    this.byName.set(name, {
      name,
      subject,
      queue_group: queue,
      num_requests: 0,
      num_errors: 0,
      last_error: '',
      processing_time: 0,
      average_processing_time: 0,
    });
  }

  /** One request served in `seconds`; `error` when its reply was an error. */
  record(name: string, seconds: number, error?: string): void {
    const e = this.byName.get(name);
    if (!e) return;
    e.num_requests++;
    e.processing_time += Math.round(seconds * 1e9);
    e.average_processing_time = Math.round(e.processing_time / e.num_requests);
    if (error !== undefined) {
      e.num_errors++;
      e.last_error = error.slice(0, 256);
    }
  }

  snapshot(): EndpointStats[] {
    return [...this.byName.values()].map((e) => ({ ...e }));
  }
}

/** The chainsync version every service reports (the repository's package.json). */
export function chainsyncVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface ServiceIdentity {
  /** The role name (`validator`, `chain-store`, …): a token, no dots. */
  name: string;
  version: string;
  description: string;
  /** Strings only (the protocol's rule): node, prefix, host, pid, ops address. */
  metadata: Record<string, string>;
}

export interface ServiceApiHandle {
  id: string;
  stop(): void;
}

/** Starts answering the service protocol on `nc` for one instance; replies are small JSON. */
export function startServiceApi(
  nc: NatsConnection,
  who: ServiceIdentity,
  endpoints: () => EndpointStats[],
): ServiceApiHandle {
  const id = nuid.next();
  const started = new Date().toISOString();
  const base = { name: who.name, id, version: who.version, metadata: who.metadata };
  const answers: Record<(typeof SERVICE_API_VERBS)[number], () => unknown> = {
    PING: () => ({ type: TYPE.PING, ...base }),
    INFO: () => ({
      type: TYPE.INFO,
      ...base,
      description: who.description,
      endpoints: endpoints().map((e) => ({ name: e.name, subject: e.subject, queue_group: e.queue_group })),
    }),
    STATS: () => ({ type: TYPE.STATS, ...base, started, endpoints: endpoints() }),
  };
  const subs: Subscription[] = [];
  for (const verb of SERVICE_API_VERBS) {
    const answer = (_err: Error | null, msg: Msg) => {
      if (!msg.reply) return;
      try {
        msg.respond(JSON.stringify(answers[verb]()));
      } catch {
        // The connection is closing or refused it; the asker sees no answer from us, which is the truth.
      }
    };
    for (const subject of [
      `${SERVICE_API_PREFIX}.${verb}`,
      `${SERVICE_API_PREFIX}.${verb}.${who.name}`,
      `${SERVICE_API_PREFIX}.${verb}.${who.name}.${id}`,
    ]) {
      subs.push(nc.subscribe(subject, { callback: answer }));
    }
  }
  return {
    id,
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}

/** Bounds on what an answer may hold: it comes over the bus from any instance. */
const Str = (max: number) => Type.String({ maxLength: max });
const Count = Type.Number({ minimum: 0 });
const StatsReply = Type.Object({
  type: Type.Literal(TYPE.STATS),
  name: Str(64),
  id: Str(64),
  version: Str(64),
  started: Str(64),
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Str(256), { maxProperties: 32 })),
  endpoints: Type.Array(
    Type.Object({
      name: Str(128),
      subject: Str(256),
      queue_group: Type.Optional(Str(128)),
      num_requests: Count,
      num_errors: Count,
      last_error: Type.Optional(Str(1024)),
      processing_time: Count,
      average_processing_time: Count,
    }),
    { maxItems: 64 },
  ),
});
export type ServiceStats = Static<typeof StatsReply>;
const checkStats = TypeCompiler.Compile(StatsReply);

/**
 * Asks every instance (of `name`, or of all services) for its STATS and collects the answers that
 * arrive within `waitMs`; answers that do not match the protocol are left out and counted.
 */
export async function collectServiceStats(
  nc: NatsConnection,
  opts: { name?: string; waitMs: number; maxInstances: number },
): Promise<{ stats: ServiceStats[]; malformed: number }> {
  const subject = `${SERVICE_API_PREFIX}.STATS${opts.name ? `.${opts.name}` : ''}`;
  const stats: ServiceStats[] = [];
  let malformed = 0;
  const replies = await nc.requestMany(subject, '', { strategy: 'timer', maxWait: opts.waitMs });
  for await (const msg of replies) {
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      body = undefined;
    }
    if (checkStats.Check(body)) {
      if (stats.length < opts.maxInstances) stats.push(body);
    } else malformed++;
  }
  return { stats, malformed };
}

/** Metadata every instance reports: which node, where it runs, where its ops server listens. */
export function instanceMetadata(opts: { node: string; prefix: string; opsHost: string; opsPort: number }) {
  return {
    node: opts.node,
    prefix: opts.prefix,
    host: hostname(),
    pid: String(process.pid),
    node_version: process.version,
    ops: `${opts.opsHost}:${opts.opsPort}`,
  };
}
