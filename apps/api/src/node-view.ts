import type { Block, ConsensusStatus, PeerAddr, Tip } from '@chainsync/protocol';
import type { Bus, Metrics } from '@chainsync/service-kit';
import type { HealthProbe } from './health-probe.js';
import { HeightHistory, Series } from './history.js';
import { BUS_TIMEOUT_MS, MAX_NETWORK_SAMPLES } from './limits.js';
import { buildNetwork, type NetworkReport } from './network.js';
import { buildPeerRows, buildStatus, type NodeStatus, type Outcome, type PeerRow } from './status.js';

/** An api failure with an HTTP status and a stable code. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Window over which the api measures blocks/s from its own height samples. */
const RATE_WINDOW_MS = 5_000;

async function outcome<T>(p: Promise<T>, label: string): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, error: `${label}: ${(err as { code?: string }).code ?? (err as Error).message}` };
  }
}

/**
 * The node as the api sees it, read over NATS. Routes call it live; a 1 Hz sampler records the
 * height for the sparkline and keeps the api's gauges current.
 */
/** One point of the network's height series (top indices; null while no peer claims anything). */
export interface NetworkSample {
  t: number;
  ours: number;
  agreed: number | null;
  tallest: number | null;
}

export class NodeView {
  readonly history = new HeightHistory();
  readonly networkHistory = new Series<NetworkSample>(MAX_NETWORK_SAMPLES);
  /** Set once NATS is connected (routes exist before that). */
  bus: Bus | undefined;
  private readonly gauges;

  constructor(
    readonly name: string,
    private readonly health: HealthProbe,
    metrics: Metrics,
  ) {
    this.gauges = {
      height: metrics.gauge('node_height', 'Top block index of the chain (-1 when empty)'),
      target: metrics.gauge('target_height', 'Top block index of the chain being synced to'),
      peers: metrics.gauge('peers', 'Live peers in the gossip table'),
      ready: metrics.gauge('service_ready', '1 while the service answers /readyz with 200', ['service']),
    };
  }

  private requireBus(): Bus {
    if (!this.bus) throw new ApiError(503, 'starting', 'the api is still connecting to NATS');
    return this.bus;
  }

  async status(now = Date.now()): Promise<NodeStatus> {
    const bus = this.requireBus();
    const [consensus, peers] = await Promise.all([
      outcome(
        bus.call('consensus.status', {}, BUS_TIMEOUT_MS).then((r) => r.status),
        'consensus.status',
      ),
      outcome(
        bus.call('peers.list', {}, BUS_TIMEOUT_MS).then((r) => r.peers),
        'peers.list',
      ),
    ]);
    const storeTip = consensus.ok
      ? undefined
      : await outcome(
          bus.call('store.tip', {}, BUS_TIMEOUT_MS).then((r) => r.tip),
          'store.tip',
        );
    return buildStatus({
      name: this.name,
      consensus,
      peers,
      storeTip,
      services: this.health.snapshot(),
      blocksPerSecond: this.history.rate(RATE_WINDOW_MS, now),
      now,
    });
  }

  async peers(now = Date.now()): Promise<{ self: (PeerAddr & { name: string }) | null; peers: PeerRow[] }> {
    const bus = this.requireBus();
    const [list, consensus] = await Promise.all([
      bus.call('peers.list', {}, BUS_TIMEOUT_MS).catch((err) => {
        throw new ApiError(503, 'gossip_unavailable', `peers.list: ${(err as Error).message}`);
      }),
      bus
        .call('consensus.status', {}, BUS_TIMEOUT_MS)
        .then((r): ConsensusStatus => r.status)
        .catch(() => null),
    ]);
    return { self: list.self, peers: buildPeerRows(list.peers, consensus, now) };
  }

  /** The network map: gossip's table joined with consensus' map, plus the height series. */
  async network(now = Date.now()): Promise<NetworkReport & { history: NetworkSample[] }> {
    const bus = this.requireBus();
    const [table, map] = await Promise.all([
      outcome(
        bus.call('peers.list', {}, BUS_TIMEOUT_MS).then((r) => r.peers),
        'peers.list',
      ),
      outcome(
        bus.call('consensus.network', {}, BUS_TIMEOUT_MS).then((r) => r.network),
        'consensus.network',
      ),
    ]);
    return { ...buildNetwork(table, map, null, now), history: this.networkHistory.all() };
  }

  /** One point of the network series (every NETWORK_SAMPLE_INTERVAL_MS). Never throws. */
  async sampleNetwork(now = Date.now()): Promise<void> {
    if (!this.bus) return;
    const n = await this.network(now).catch(() => null);
    if (!n || n.errors.length > 0) return;
    this.networkHistory.add({
      t: now,
      ours: n.tip.height,
      agreed: n.agreed?.top ?? null,
      tallest: n.tallest,
    });
  }

  async block(height: number): Promise<Block | null> {
    const reply = await this.storeCall(() => this.requireBus().call('store.get', { height }, BUS_TIMEOUT_MS));
    return reply.block;
  }

  /** The newest `limit` blocks, newest first. */
  async latestBlocks(limit: number): Promise<{ tip: Tip; blocks: Block[] }> {
    const bus = this.requireBus();
    const { tip } = await this.storeCall(() => bus.call('store.tip', {}, BUS_TIMEOUT_MS));
    if (tip.height < 0) return { tip, blocks: [] };
    const from = Math.max(0, tip.height - limit + 1);
    const { blocks } = await this.storeCall(() =>
      bus.call('store.range', { from, count: tip.height - from + 1 }, BUS_TIMEOUT_MS),
    );
    return { tip, blocks: blocks.reverse() };
  }

  private async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(503, 'store_unavailable', (err as Error).message);
    }
  }

  /** One sample: height into the history, gauges updated. Never throws. */
  async sample(now = Date.now()): Promise<void> {
    if (!this.bus) return;
    const s = await this.status(now).catch(() => null);
    for (const h of this.health.snapshot()) this.gauges.ready.set({ service: h.name }, h.ready ? 1 : 0);
    if (!s) return;
    if (s.height >= 0 || s.errors.length === 0) this.history.add({ t: now, height: s.height });
    this.gauges.height.set(s.height);
    this.gauges.target.set(s.target?.height ?? s.height);
    this.gauges.peers.set(s.peers);
  }
}
