import { connect, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import {
  MAX_BUS_PAYLOAD_BYTES,
  RequestSchemas,
  netInSubject,
  type ErrorReply,
  type EventSubject,
  type EventSubjects,
  type MessageType,
  type NetIn,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  type BusRole,
} from '@chainsync/protocol';
import { natsConnectOptions, type BusAuth } from './bus-auth.js';
import { RateLimitedLog, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { EndpointStatsTable } from './service-api.js';

/** A bus failure with a stable code (`timeout`, `no_responders`, `payload_too_large`, `bad_reply`, …). */
export class BusError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const checks = new Map<TSchema, TypeCheck<TSchema>>();
const compiled = (schema: TSchema) => {
  let c = checks.get(schema);
  if (!c) checks.set(schema, (c = TypeCompiler.Compile(schema)));
  return c;
};

export function encodeJson(value: unknown): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(value));
  if (bytes.byteLength > MAX_BUS_PAYLOAD_BYTES) {
    throw new BusError(
      'payload_too_large',
      `payload of ${bytes.byteLength} bytes exceeds ${MAX_BUS_PAYLOAD_BYTES}`,
    );
  }
  return bytes;
}

export function decodeJson(data: Uint8Array): unknown {
  if (data.byteLength > MAX_BUS_PAYLOAD_BYTES) throw new BusError('payload_too_large', 'payload too large');
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    throw new BusError('bad_json', 'payload is not JSON');
  }
}

export function errorReply(code: string, message: string): ErrorReply {
  return { ok: false, code, message };
}

export interface ServeOptions {
  /** Queue group, so replicas share the requests. */
  queue?: string;
}

/**
 * The NATS connection as a typed API over `subjects.ts`: every subject is prefixed by the node
 * prefix, payloads are JSON with a size cap, request payloads are schema-checked before a handler
 * sees them, and handler errors become error replies instead of crashes.
 */
export class Bus {
  private readonly requestsTotal;
  private readonly requestSeconds;
  private readonly payloadsRefused;
  private readonly warnings: RateLimitedLog;
  private readonly subscriptions: Subscription[] = [];
  /** Per-endpoint counters this instance reports over the service protocol (service-api.ts). */
  readonly endpoints = new EndpointStatsTable();

  constructor(
    readonly nc: NatsConnection,
    readonly prefix: string,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.requestsTotal = metrics.counter(
      'bus_requests_served_total',
      'Requests served, by endpoint and result',
      ['endpoint', 'result'],
    );
    this.requestSeconds = metrics.histogram('bus_request_duration_seconds', 'Time to serve a request', [
      'endpoint',
    ]);
    this.payloadsRefused = metrics.counter(
      'bus_payloads_refused_total',
      'Events not published: over the payload cap, or the connection refused them',
      ['subject', 'reason'],
    );
    this.warnings = new RateLimitedLog(log);
  }

  subject(name: string): string {
    return `${this.prefix}.${name}`;
  }

  get connected(): boolean {
    return !this.nc.isClosed() && this.connectedFlag;
  }
  /** Kept by `connectBus`; nats.js has no synchronous "is connected" flag. */
  connectedFlag = true;

  /** Rejecters of the requests awaiting a reply, so a lost connection fails them at once. */
  private readonly pending = new Set<(err: BusError) => void>();

  /**
   * The connection dropped: a request in flight lost its reply with the server, and nats.js
   * would let it wait out its whole timeout (seconds of a stalled sync). Fail them now instead.
   */
  failPending(reason: string): void {
    for (const reject of this.pending) reject(new BusError('disconnected', reason));
    this.pending.clear();
  }

  private readonly reconnectHandlers: (() => void)[] = [];

  /** Runs `handler` each time the connection is back after a loss (e.g. to redo failed work). */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  /** Called by `connectBus` when nats.js reports the connection restored. */
  reconnected(): void {
    this.connectedFlag = true;
    for (const h of this.reconnectHandlers) {
      try {
        h();
      } catch (err) {
        this.log.error({ err }, 'reconnect handler failed');
      }
    }
  }

  async request<S extends RequestSubject>(
    name: S,
    payload: RequestOf<S>,
    timeoutMs = 2_000,
  ): Promise<ReplyOf<S>> {
    return this.requestEncoded(name, encodeJson(payload), timeoutMs);
  }

  /**
   * `request` with a payload the caller already encoded (e.g. assembled from cached JSON on a hot
   * path). The bytes must be the JSON of a `RequestOf<S>`; the size cap still applies.
   */
  async requestEncoded<S extends RequestSubject>(
    name: S,
    payload: Uint8Array,
    timeoutMs = 2_000,
  ): Promise<ReplyOf<S>> {
    if (payload.byteLength > MAX_BUS_PAYLOAD_BYTES) {
      throw new BusError('payload_too_large', `${name}: payload of ${payload.byteLength} bytes`);
    }
    let msg: Msg;
    let fail: ((err: BusError) => void) | undefined;
    try {
      const lost = new Promise<never>((_, reject) => this.pending.add((fail = reject)));
      msg = await Promise.race([this.nc.request(this.subject(name), payload, { timeout: timeoutMs }), lost]);
    } catch (err) {
      if (err instanceof BusError) throw new BusError(err.code, `${name}: ${err.message}`);
      const text = String((err as Error).message ?? err);
      const code = /no responders/i.test(text)
        ? 'no_responders'
        : /timeout/i.test(text)
          ? 'timeout'
          : 'request_failed';
      throw new BusError(code, `${name}: ${text}`);
    } finally {
      this.pending.delete(fail!);
    }
    return decodeJson(msg.data) as ReplyOf<S>;
  }

  /** Like `request`, but an error reply becomes a thrown BusError, so callers see only success. */
  async call<S extends RequestSubject>(
    name: S,
    payload: RequestOf<S>,
    timeoutMs?: number,
  ): Promise<Extract<ReplyOf<S>, { ok: true }>> {
    return this.callEncoded(name, encodeJson(payload), timeoutMs);
  }

  /** `call` with a payload the caller already encoded (see `requestEncoded`). */
  async callEncoded<S extends RequestSubject>(
    name: S,
    payload: Uint8Array,
    timeoutMs?: number,
  ): Promise<Extract<ReplyOf<S>, { ok: true }>> {
    const reply = (await this.requestEncoded(name, payload, timeoutMs)) as ReplyOf<S>;
    if (!reply || typeof reply !== 'object' || reply.ok !== true) {
      const err = reply as ErrorReply | undefined;
      throw new BusError(err?.code ?? 'bad_reply', `${name}: ${err?.message ?? 'malformed reply'}`);
    }
    return reply as Extract<ReplyOf<S>, { ok: true }>;
  }

  /**
   * Publishes an event; false (counted in `bus_payloads_refused_total{subject,reason}`, logged
   * rate-limited) when the payload is over the cap or the connection refuses it. Never throws:
   * events are published from socket and timer handlers, where a throw would end the process.
   */
  publish<S extends EventSubject>(name: S, payload: EventSubjects[S]): boolean {
    return this.publishValue(name, payload);
  }

  publishNetIn<T extends MessageType>(type: T, payload: NetIn<T>): boolean {
    return this.publishValue(netInSubject(type), payload);
  }

  /**
   * Publishes bytes the caller already encoded (e.g. assembled from raw datagrams on a hot path).
   * They must be the JSON of the subject's payload type; the size cap still applies, as in `publish`.
   */
  publishEncoded(name: EventSubject | `net.in.${MessageType}`, payload: Uint8Array): boolean {
    if (payload.byteLength > MAX_BUS_PAYLOAD_BYTES) {
      return this.refused(name, 'payload_too_large', `payload of ${payload.byteLength} bytes`);
    }
    try {
      this.nc.publish(this.subject(name), payload);
      return true;
    } catch (err) {
      return this.refused(name, 'publish_failed', (err as Error).message);
    }
  }

  private publishValue(name: EventSubject | `net.in.${MessageType}`, payload: unknown): boolean {
    let bytes: Uint8Array;
    try {
      bytes = encodeJson(payload);
    } catch (err) {
      return this.refused(name, (err as BusError).code ?? 'not_json', (err as Error).message);
    }
    return this.publishEncoded(name, bytes);
  }

  private refused(subject: string, reason: string, detail: string): false {
    this.payloadsRefused.inc({ subject, reason });
    this.warnings.warn(`bus_${reason}`, { subject, detail }, 'event not published');
    return false;
  }

  /** Answers a request subject. The payload is checked against its schema in `RequestSchemas`. */
  serve<S extends RequestSubject>(
    name: S,
    handler: (req: RequestOf<S>) => Promise<ReplyOf<S>> | ReplyOf<S>,
    opts: ServeOptions = {},
  ): void {
    const check = compiled(RequestSchemas[name]);
    this.endpoints.add(name, this.subject(name), opts.queue ?? '');
    const sub = this.nc.subscribe(this.subject(name), {
      queue: opts.queue,
      callback: (_err, msg) => {
        const end = this.requestSeconds.startTimer({ endpoint: name });
        void (async (): Promise<ReplyOf<S> | ErrorReply> => {
          let req: unknown;
          try {
            req = decodeJson(msg.data);
          } catch (err) {
            return errorReply((err as BusError).code ?? 'bad_json', (err as Error).message);
          }
          if (!check.Check(req)) {
            const first = check.Errors(req).First();
            return errorReply('bad_request', `${first?.path || 'payload'}: ${first?.message ?? 'invalid'}`);
          }
          try {
            return await handler(req as RequestOf<S>);
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            this.log.error({ err, endpoint: name }, 'request handler failed');
            return errorReply(typeof code === 'string' ? code : 'internal', (err as Error).message);
          }
        })().then((reply) => {
          const seconds = end();
          this.endpoints.record(name, seconds, reply?.ok ? undefined : `${reply?.code}: ${reply?.message}`);
          this.requestsTotal.inc({ endpoint: name, result: reply?.ok ? 'ok' : (reply?.code ?? 'internal') });
          if (msg.reply) this.respond(name, msg, reply);
        });
      },
    });
    this.subscriptions.push(sub);
  }

  /** Sends a reply; one over the cap becomes an error reply (counted), and nothing here throws. */
  private respond(endpoint: string, msg: Msg, reply: unknown): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeJson(reply);
    } catch (err) {
      const code = (err as BusError).code ?? 'internal';
      this.refused(endpoint, code, (err as Error).message);
      bytes = encodeJson(errorReply(code, (err as Error).message));
    }
    try {
      msg.respond(bytes);
    } catch (err) {
      this.refused(endpoint, 'publish_failed', (err as Error).message);
    }
  }

  /** Listens to an event subject. Handler errors are logged, never fatal. */
  on<S extends EventSubject>(
    name: S,
    handler: (payload: EventSubjects[S]) => void,
    opts: ServeOptions = {},
  ): void {
    this.listen(this.subject(name), handler as (p: unknown) => void, opts);
  }

  /** Listens to checked inbound datagrams of one type (already schema-checked by gossip). */
  onNetIn<T extends MessageType>(
    type: T,
    handler: (payload: NetIn<T>) => void,
    opts: ServeOptions = {},
  ): void {
    this.listen(this.subject(netInSubject(type)), handler as (p: unknown) => void, opts);
  }

  private listen(subject: string, handler: (payload: unknown) => void, opts: ServeOptions): void {
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (_err, msg) => {
        try {
          handler(decodeJson(msg.data));
        } catch (err) {
          this.log.error({ err, subject }, 'event handler failed');
        }
      },
    });
    this.subscriptions.push(sub);
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async drain(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

export interface ConnectOptions {
  /** One server, or several comma-separated (a cluster). */
  url: string;
  prefix: string;
  name: string;
  /** Whose permissions the connection has (its inbox follows); the service's own name by default. */
  role?: BusRole;
  auth?: BusAuth;
  log: Logger;
  metrics: Metrics;
}

/** Connects with reconnect-forever (also on the first connect) and tracks the connection state. */
export async function connectBus(opts: ConnectOptions): Promise<Bus> {
  const nc = await connect({
    ...natsConnectOptions({
      url: opts.url,
      name: opts.name,
      role: opts.role ?? (opts.name as BusRole),
      prefix: opts.prefix,
      auth: opts.auth,
    }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 5_000,
    // nats.js otherwise builds two Error objects (stack captures) per request up front, only to
    // give a timeout a nicer stack; it doubled a request's CPU in a micro-benchmark. Errors keep
    // their messages, which is all BusError uses.
    noAsyncTraces: true,
  });
  const bus = new Bus(nc, opts.prefix, opts.log, opts.metrics);
  const connectedGauge = opts.metrics.gauge('nats_connected', '1 while connected to NATS');
  connectedGauge.set(1);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting') {
        if (bus.connectedFlag) opts.log.warn({ event: s.type }, 'NATS disconnected');
        bus.connectedFlag = false;
        bus.failPending('the NATS connection was lost');
        connectedGauge.set(0);
      } else if (s.type === 'reconnect') {
        connectedGauge.set(1);
        opts.log.info('NATS reconnected');
        bus.reconnected();
      }
    }
  })();
  return bus;
}
