import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectOptions, type BusAuth } from '@chainsync/service-kit';
import {
  MAX_RANGE_BLOCKS,
  type Block,
  type ConsensusStatus,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  type Tip,
} from '@chainsync/protocol';

/**
 * A small NATS client for one running node (tests, benchmarks, tools): typed requests on the
 * node's prefixed subjects. Errors carry the reply's `code`.
 */
export class NodeClient {
  private constructor(
    readonly nc: NatsConnection,
    readonly prefix: string,
  ) {}

  /** `auth`: the node's read-only `observer` credentials (`NodeHandle.busAuth`) on a bus that has them. */
  static async connect(natsUrl: string, prefix: string, auth?: BusAuth): Promise<NodeClient> {
    // Reconnects for as long as it lives, like the services: a restarted nats-server is found again.
    const nc = await connect({
      ...natsConnectOptions({ url: natsUrl, name: 'node-client', role: 'observer', prefix, auth }),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    return new NodeClient(nc, prefix);
  }

  async request<S extends RequestSubject>(subject: S, req: RequestOf<S>, timeoutMs = 5_000) {
    const msg = await this.nc.request(`${this.prefix}.${subject}`, JSON.stringify(req), {
      timeout: timeoutMs,
    });
    const reply = msg.json() as ReplyOf<S>;
    if (!reply.ok) throw Object.assign(new Error(`${subject}: ${reply.message}`), { code: reply.code });
    return reply as Extract<ReplyOf<S>, { ok: true }>;
  }

  async status(): Promise<ConsensusStatus> {
    return (await this.request('consensus.status', {})).status;
  }

  async tip(): Promise<Tip> {
    return (await this.request('store.tip', {})).tip;
  }

  /** Blocks from..to-1 of the stored chain, fetched in store.range pages. */
  async blocks(from: number, to: number): Promise<Block[]> {
    const out: Block[] = [];
    while (from + out.length < to) {
      const start = from + out.length;
      const page = (
        await this.request('store.range', { from: start, count: Math.min(MAX_RANGE_BLOCKS, to - start) })
      ).blocks;
      if (page.length === 0) break;
      out.push(...page);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
