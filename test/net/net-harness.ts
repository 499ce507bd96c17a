import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createNetwork,
  netnsSupport,
  processMemory,
  repoRoot,
  waitFor,
  type Host,
  type LinkShape,
  type Network,
  type ServiceProcess,
} from '@chainsync/testing';
import type { NetworkPeer, PeerInfo } from '@chainsync/protocol';
import { LOCK_FILE, type LockRecord } from '../../apps/node/src/node-lock.js';
import type { Mined, NodeTrace, TipEvent } from './net-figures.js';
import { plotHeights } from './net-plot.js';

/**
 * A network of whole chainsync nodes for the scenarios of this folder. Each node is the real
 * `chainsync run` (node apps/node/dist/main.js run: its own nats-server, chain-store, gossip,
 * consensus and a validator) inside its own host of a test network (libs/testing/src/netns.ts),
 * advertising that host's address; mining devnet peers (apps/devnet, one process each) run on
 * hosts too. Beside each node runs an agent (net-agent.ts) that reads it over its bus and reports
 * every tip it takes and every round it runs, so the harness keeps a trace of each node's height
 * over time. Miners log each block they mine (the ANNOUNCE goes out at once); the figures of
 * net-figures.ts come from those two records. `writeResults` writes them as JSON and an SVG plot
 * under test/net/results/.
 */

/** `npm run test:net` sets it: the full-size run of every scenario. */
export const FULL = process.env.CHAINSYNC_NET_FULL === '1';
/** How long a scenario's setup (its whole run, in `beforeAll`) may take. */
export const RUN_TIMEOUT_MS = FULL ? 900_000 : 240_000;
export const RESULTS_DIR = join(repoRoot, 'test/net/results');
/** Difficulty of the nodes and the miners: a block is mined in well under a millisecond. */
export const DIFFICULTY = 2;
/** Blocks every miner starts with (the same chain: the same seed), so the nodes sync that first. */
export const START_BLOCKS = 20;
/** The UDP port of every node (each host has its own address). */
export const NODE_PORT = 8999;

const MAIN = join(repoRoot, 'apps/node/dist/main.js');
const DEVNET = join(repoRoot, 'apps/devnet/dist/main.js');
const AGENT = join(repoRoot, 'test/net/net-agent.ts');
/** How often an agent reads its node's tip: the resolution of every arrival time. */
const AGENT_POLL_MS = 50;
const NODE_START_TIMEOUT_MS = 90_000;

/** Consensus and gossip timers for a scenario's nodes (the launcher's test variables). */
export interface NodeTimers {
  consensusIntervalMs?: number;
  statsWindowMs?: number;
  gossipIntervalMs?: number;
  peerExpiryMs?: number;
}

interface AgentLine {
  t: number;
  k: string;
  [key: string]: unknown;
}

/** One chainsync node on its host: started, killed and started again by the harness. */
export class NetNode {
  readonly trace: NodeTrace;
  launcher: ServiceProcess | undefined;
  private agent: ServiceProcess | undefined;
  private readonly waiting = new Map<string, ((line: AgentLine) => void)[]>();
  private natsUrl = '';
  private prefix = '';
  private credsDir = '';

  constructor(
    readonly name: string,
    readonly host: Host,
    readonly dataDir: string,
    readonly logDir: string,
    readonly peers: string[],
    private readonly timers: NodeTimers,
  ) {
    this.trace = { name, ip: host.ip, tips: [], rounds: [], lives: [] };
  }

  get addr(): string {
    return `${this.host.ip}:${NODE_PORT}`;
  }

  /** Started (perhaps still starting), not killed since. */
  get up(): boolean {
    return this.launcher !== undefined;
  }

  /** Up and watched by its agent (`start()` has resolved), not killed since. */
  ready = false;

  /** The last tip the agent saw in this life of the node (height -1 before any). */
  get tip(): { height: number; hash: string | null } {
    const last = this.trace.tips.at(-1);
    const life = this.trace.lives.at(-1);
    return last && life && last.t >= life.from
      ? { height: last.h, hash: last.x }
      : { height: -1, hash: null };
  }

  /** Starts the launcher and, once it is up, the agent beside it. */
  async start(): Promise<void> {
    if (this.launcher) throw new Error(`${this.name} is running`);
    const t = this.timers;
    const env: Record<string, string> = {};
    if (t.consensusIntervalMs) env.CONSENSUS_INTERVAL_MS = String(t.consensusIntervalMs);
    if (t.statsWindowMs) env.STATS_WINDOW_MS = String(t.statsWindowMs);
    if (t.gossipIntervalMs) env.GOSSIP_INTERVAL_MS = String(t.gossipIntervalMs);
    if (t.peerExpiryMs) env.PEER_EXPIRY_MS = String(t.peerExpiryMs);
    const launcher = this.host.spawn(
      `node-${this.name}`,
      process.execPath,
      [
        MAIN,
        'run',
        `--peers=${this.peers.join(',')}`,
        `--udp-port=${NODE_PORT}`,
        `--udp-host=${this.host.ip}`,
        `--advertise-host=${this.host.ip}`,
        `--difficulty=${DIFFICULTY}`,
        `--data-dir=${this.dataDir}`,
        '--validators=1',
        `--name=${this.name}`,
        `--log-dir=${this.logDir}`,
        '--log-level=info',
      ],
      env,
    );
    this.launcher = launcher;
    const up = await waitFor(
      () => {
        if (launcher.proc.exitCode !== null || launcher.proc.signalCode !== null)
          throw new Error(`${this.name} exited at start:\n${launcher.output()}`);
        return /NATS (\S+) \(prefix (\S+), bus credentials in ([^)]+)\)/.exec(launcher.output()) ?? undefined;
      },
      { timeoutMs: NODE_START_TIMEOUT_MS, intervalMs: 100, what: `node ${this.name} up` },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${launcher.output()}`);
    });
    [this.natsUrl, this.prefix, this.credsDir] = [up[1]!, up[2]!, up[3]!];
    this.trace.lives.push({ from: Date.now() });
    this.startAgent();
    await this.next('ready', 60_000);
    this.ready = true;
  }

  /** SIGKILL of the launcher and of every process it started (as its node.lock names them), at once. */
  async kill(): Promise<void> {
    const launcher = this.launcher;
    if (!launcher) return;
    this.ready = false;
    // No lock to read (the launcher died before it wrote one): the launcher, its children take its lifeline.
    const pids = Object.values(this.pids());
    for (const pid of pids.length > 0 ? pids : [launcher.proc.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all([launcher.exited, this.agent?.kill('SIGKILL')]);
    this.launcher = undefined;
    this.agent = undefined;
    const life = this.trace.lives.at(-1);
    if (life) life.to = Date.now();
  }

  /** Every process of the node by name, the launcher first, as its `node.lock` names them. */
  pids(): Record<string, number> {
    if (!this.launcher) return {};
    try {
      const lock = JSON.parse(readFileSync(join(this.dataDir, LOCK_FILE), 'utf8')) as LockRecord;
      return {
        launcher: lock.launcher.pid,
        ...Object.fromEntries(Object.entries(lock.children).map(([n, c]) => [n, c.pid])),
      };
    } catch {
      return {};
    }
  }

  /** The node's gossip table (`peers.list`). */
  async peerTable(): Promise<PeerInfo[]> {
    const line = await this.ask('peers', 'peers');
    if (line.error) throw new Error(`${this.name} peers.list: ${String(line.error)}`);
    return line.peers as PeerInfo[];
  }

  /** What consensus learned of each peer: its claim, height convention, score (`consensus.network`). */
  async networkMap(): Promise<NetworkPeer[]> {
    const line = await this.ask('network', 'network');
    if (line.error) throw new Error(`${this.name} consensus.network: ${String(line.error)}`);
    return line.peers as NetworkPeer[];
  }

  /** The hash of every block of the node's chain from `from` to its tip. */
  async hashes(from: number): Promise<string[]> {
    const line = await this.ask(`hashes ${from}`, 'hashes');
    if (line.error) throw new Error(`${this.name} store.range: ${String(line.error)}`);
    return line.hashes as string[];
  }

  /** Lines of the node's service logs (`--log-dir`) with this message, parsed. */
  logLines(service: string, msg: string): Record<string, unknown>[] {
    let text: string;
    try {
      text = readFileSync(join(this.logDir, `${service}.log`), 'utf8');
    } catch {
      return [];
    }
    const out: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (!line.includes(msg)) continue;
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        if (o.msg === msg) out.push(o);
      } catch {
        // a line cut by a SIGKILL
      }
    }
    return out;
  }

  private startAgent(): void {
    const agent = this.host.spawn(
      `agent-${this.name}`,
      process.execPath,
      [AGENT, this.natsUrl, this.prefix, this.credsDir, String(AGENT_POLL_MS)],
      {},
      { stdin: 'pipe' },
    );
    this.agent = agent;
    const life = { rounds: 0 };
    this.trace.rounds.push(life);
    createInterface({ input: agent.proc.stdout! }).on('line', (text) => {
      let line: AgentLine;
      try {
        line = JSON.parse(text) as AgentLine;
      } catch {
        return;
      }
      if (line.k === 'tip') this.trace.tips.push(line as unknown as TipEvent);
      else if (line.k === 'status') life.rounds = line.rounds as number;
      const waiters = this.waiting.get(line.k);
      if (waiters?.length) waiters.shift()!(line);
    });
  }

  private next(kind: string, timeoutMs = 10_000): Promise<AgentLine> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`${this.name}: no "${kind}" from its agent:\n${this.agent?.output() ?? ''}`)),
        timeoutMs,
      );
      const list = this.waiting.get(kind) ?? [];
      list.push((line) => {
        clearTimeout(t);
        resolve(line);
      });
      this.waiting.set(kind, list);
    });
  }

  private ask(command: string, kind: string): Promise<AgentLine> {
    if (!this.agent) throw new Error(`${this.name} is not running`);
    const reply = this.next(kind);
    this.agent.proc.stdin!.write(`${command}\n`);
    return reply;
  }
}

export interface MinerOptions {
  /** UDP port on its host. */
  port: number;
  /** Seconds between blocks it mines. */
  intervalS: number;
  /** Its well-known peers (host:port): nodes to ANNOUNCE to from the start. */
  bootstrap: string[];
  heightConvention?: 'length' | 'top_index';
}

/** A devnet peer that mines (apps/devnet, one process): every block it mines, it ANNOUNCEs at once. */
export class Miner {
  readonly mined: Mined[] = [];
  /** Times it switched to a longer branch it heard of. */
  switches = 0;

  constructor(
    readonly name: string,
    readonly host: Host,
    readonly opts: MinerOptions,
    readonly proc: ServiceProcess,
  ) {
    createInterface({ input: proc.proc.stdout! }).on('line', (text) => {
      if (!text.includes('"msg":"mined a block"') && !text.includes('"msg":"switched to a longer branch"'))
        return;
      const o = JSON.parse(text) as { msg: string; time: string; height: number; hash: string };
      const t = Date.parse(o.time);
      if (o.msg === 'mined a block') this.mined.push({ t, h: o.height, x: o.hash, miner: name });
      else this.switches++;
    });
  }

  get addr(): string {
    return `${this.host.ip}:${this.opts.port}`;
  }

  /** Resolves once the devnet is up (its chain made, its socket bound). */
  async up(): Promise<void> {
    await waitFor(
      () => {
        if (this.proc.proc.exitCode !== null)
          throw new Error(`miner ${this.name} exited:\n${this.proc.output()}`);
        return this.proc.output().includes('"msg":"devnet up"');
      },
      { timeoutMs: 60_000, what: `miner ${this.name} up` },
    );
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident memory of these processes together, in MB (a process gone counts 0). */
export function rssMb(pids: readonly number[]): number {
  return Math.round(pids.reduce((mb, pid) => mb + processMemory(pid).rss, 0) * 10) / 10;
}

export interface HarnessOptions {
  /** The scenario's name: results/<name>[-full].json and .svg. */
  scenario: string;
  /** The /24 of its test network (a different one per scenario file). */
  subnet: string;
  timers?: NodeTimers;
}

/** A time window of the run to shade on the plot (a partition). */
export interface Window {
  from: number;
  to?: number;
  label: string;
  /** A shaded span (default) or a line at `from`. */
  kind?: 'span' | 'mark';
}

export class NetHarness {
  readonly t0 = Date.now();
  readonly nodes: NetNode[] = [];
  readonly miners: Miner[] = [];
  readonly windows: Window[] = [];
  private readonly hosts = new Map<string, Host>();
  private readonly load: number[][] = [loadavg()];
  /** The shape of every link (`shapeAll`), for the results. */
  private links: LinkShape = {};

  private constructor(
    readonly opts: HarnessOptions,
    readonly net: Network,
    readonly dir: string,
  ) {}

  /** Throws, saying why, where network namespaces cannot be made (not root, tools missing). */
  static async create(opts: HarnessOptions): Promise<NetHarness> {
    const support = netnsSupport();
    if (!support.ok) throw new Error(`the network scenarios need network namespaces: ${support.reason}`);
    const net = await createNetwork({ subnet: opts.subnet });
    return new NetHarness(opts, net, mkdtempSync(join(tmpdir(), `chainsync-net-${opts.scenario}-`)));
  }

  /** The host named `name`, made on first use. */
  async host(name: string): Promise<Host> {
    let h = this.hosts.get(name);
    if (!h) {
      h = await this.net.addHost(name);
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Makes hosts `<prefix>1` … `<prefix><count>`; returns their names. */
  async makeHosts(count: number, prefix = 'h'): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
    for (const name of names) await this.host(name);
    return names;
  }

  /** The address of a host made before. */
  hostIp(name: string): string {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h.ip;
  }

  /** A node on host `hostName` (made if new) with these bootstrap peers; not started. */
  async node(name: string, hostName: string, peers: string[]): Promise<NetNode> {
    const host = await this.host(hostName);
    const node = new NetNode(
      name,
      host,
      join(this.dir, name, 'data'),
      join(this.dir, name, 'logs'),
      peers,
      this.opts.timers ?? {},
    );
    this.nodes.push(node);
    return node;
  }

  /** Starts a mining devnet peer on host `hostName` (`startAll` waits until it is up). */
  async miner(name: string, hostName: string, opts: MinerOptions): Promise<Miner> {
    const host = await this.host(hostName);
    const t = this.opts.timers ?? {};
    const args = [
      DEVNET,
      '--peers=1',
      `--base-port=${opts.port}`,
      `--host=${host.ip}`,
      `--blocks=${START_BLOCKS}`,
      `--seed=net-${this.opts.scenario}`,
      `--difficulty=${DIFFICULTY}`,
      `--mine-interval=${opts.intervalS}`,
      `--bootstrap=${opts.bootstrap.join(',')}`,
      `--height-convention=${opts.heightConvention ?? 'length'}`,
      ...(t.gossipIntervalMs ? [`--gossip-interval=${t.gossipIntervalMs / 1000}`] : []),
      ...(t.peerExpiryMs ? [`--peer-expiry=${t.peerExpiryMs / 1000}`] : []),
    ];
    const proc = host.spawn(`miner-${name}`, process.execPath, args, { LOG_LEVEL: 'info' });
    const miner = new Miner(name, host, opts, proc);
    this.miners.push(miner);
    return miner;
  }

  /**
   * Starts these nodes together (each launch waits for its services) and waits for the miners,
   * then until the nodes are on one tip of at least `minHeight` (the chain the miners started with).
   */
  async startAll(nodes: NetNode[] = this.nodes, minHeight = START_BLOCKS - 1): Promise<void> {
    this.phase('hosts made');
    await Promise.all([...nodes.map((n) => n.start()), ...this.miners.map((m) => m.up())]);
    this.phase('nodes up');
    await this.converged({ nodes, minHeight, timeoutMs: 60_000 });
    this.phase('nodes synced');
  }

  /** Seconds since the harness was made, by phase: where a run's time goes. */
  readonly phases: Record<string, number> = {};
  phase(label: string): void {
    this.phases[label] = (Date.now() - this.t0) / 1000;
  }

  /** Gives every link between the hosts made so far this delay, jitter and loss (both ways). */
  async shapeAll(shape: LinkShape): Promise<void> {
    const hosts = [...this.hosts.values()];
    for (const [i, a] of hosts.entries())
      for (const b of hosts.slice(i + 1)) await this.net.shape(a, b, shape);
    this.links = shape;
  }

  /** Cuts every link between the two sides (a window on the plot) until `heal`. */
  async partition(a: NetNode[] | Host[], b: NetNode[] | Host[], label = 'partition'): Promise<void> {
    const hosts = (xs: NetNode[] | Host[]) => xs.map((x) => ('host' in x ? x.host : x));
    await this.net.partition(hosts(a), hosts(b));
    this.windows.push({ from: Date.now(), label });
  }

  async heal(): Promise<void> {
    await this.net.heal();
    const open = this.windows.findLast((w) => w.to === undefined && w.kind !== 'mark');
    if (open) open.to = Date.now();
  }

  /** Resolves once every given node (default: the ready ones) is on one tip, at least `minHeight`. */
  async converged(opts: {
    nodes?: NetNode[];
    minHeight?: number;
    timeoutMs: number;
  }): Promise<{ height: number; hash: string; at: number }> {
    return waitFor(
      () => {
        const nodes = opts.nodes ?? this.nodes.filter((n) => n.ready);
        const tips = nodes.map((n) => n.tip);
        const first = tips[0];
        if (!first?.hash || first.height < (opts.minHeight ?? 0)) return undefined;
        return tips.every((t) => t.hash === first.hash)
          ? { ...first, hash: first.hash, at: Date.now() }
          : undefined;
      },
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: 100,
        what: `one tip on every node (${this.nodes
          .filter((n) => n.ready)
          .map((n) => `${n.name} ${n.tip.height} ${n.tip.hash?.slice(0, 8)}`)
          .join(', ')})`,
      },
    );
  }

  /** Stops every miner (SIGTERM); a window from then on is marked on the plot. */
  async stopMiners(): Promise<void> {
    await Promise.all(this.miners.map((m) => m.proc.kill('SIGTERM')));
    this.phase('miners stopped');
    this.windows.push({ from: Date.now(), label: 'miners stopped', kind: 'mark' });
  }

  /** Every miner's mined blocks, in time order. */
  mined(): Mined[] {
    return this.miners.flatMap((m) => m.mined).sort((a, b) => a.t - b.t);
  }

  /** Samples the machine's load (1, 5, 15 min), reported beside the figures. */
  noteLoad(): void {
    this.load.push(loadavg());
  }

  /**
   * Writes results/<scenario>[-full].json (the figures, every block mined, each node's trace and
   * the windows) and the plot beside it; returns both paths.
   */
  writeResults(figures: Record<string, unknown>, notes: string[] = []): { json: string; svg: string } {
    this.noteLoad();
    mkdirSync(RESULTS_DIR, { recursive: true });
    const base = join(RESULTS_DIR, `${this.opts.scenario}${FULL ? '-full' : ''}`);
    const t1 = Date.now();
    const doc = {
      scenario: this.opts.scenario,
      full: FULL,
      startedAt: new Date(this.t0).toISOString(),
      durationS: (t1 - this.t0) / 1000,
      machine: { cores: availableParallelism(), loadavg: this.load },
      phases: this.phases,
      links: this.links,
      figures,
      windows: this.windows,
      mined: this.mined(),
      miners: this.miners.map((m) => ({
        name: m.name,
        addr: m.addr,
        ...m.opts,
        mined: m.mined.length,
        switches: m.switches,
      })),
      nodes: this.nodes.map((n) => n.trace),
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(doc, null, 1)}\n`);
    // The plot starts when the first node is up (the launch before it is no part of the story).
    const firstUp = Math.min(...this.nodes.flatMap((n) => n.trace.lives.map((l) => l.from)));
    writeFileSync(
      `${base}.svg`,
      plotHeights({
        title: `${this.opts.scenario}${FULL ? ' (full run)' : ' (short run)'}`,
        t0: Number.isFinite(firstUp) ? firstUp - 1000 : this.t0,
        t1,
        nodes: this.nodes.map((n) => n.trace),
        windows: this.windows.map((w) => ({ ...w, to: w.to ?? (w.kind === 'mark' ? w.from : t1) })),
        notes,
      }),
    );
    return { json: `${base}.json`, svg: `${base}.svg` };
  }

  /**
   * Writes the results (the plot's notes: `lines[1..]`) and prints `lines` (a title, then the
   * headline figures) and where the results are.
   */
  report(figures: Record<string, unknown>, lines: string[]): void {
    const files = this.writeResults(figures, lines.slice(1, 3));
    console.log([...lines, `results: ${files.json}, ${files.svg}`].join('\n'));
  }

  /** Kills every process (nothing is kept but the results), removes the network and the nodes' data. */
  async destroy(): Promise<void> {
    await this.net.destroy();
    // CHAINSYNC_NET_KEEP=1 keeps every node's data and service logs for a look afterwards.
    if (process.env.CHAINSYNC_NET_KEEP === '1') console.log(`kept the nodes' data and logs in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
