import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, startProcess, type ServiceProcess } from './processes.js';

/**
 * A test network of real hosts on one machine: each host is a Linux network namespace with its own
 * IPv4 address in a private /24, its `eth0` a veth joined to a bridge. The bridge lives in a
 * namespace of its own (the "switch"), which has no uplink: nothing sent on the network can leave
 * the machine, and the machine's own interfaces, routes and firewall are never touched. Two
 * networks (two tests, two worktrees) never see each other, even on the same subnet.
 *
 * Links between hosts are cut, restored, delayed and made lossy in the switch, on the packets the
 * bridge forwards (br_netfilter hands bridged IPv4 to the switch's iptables FORWARD chain):
 * - a cut is a DROP rule for that pair of hosts, both ways;
 * - loss is a DROP rule with `-m statistic --mode random --probability p`;
 * - delay (the kernel here has no netem) is an NFQUEUE rule: `netns-shaper.py`, started in the
 *   switch on first use, holds each packet for the link's delay ± jitter and then returns it to
 *   the kernel unchanged (same addresses, ports and bytes). See that file.
 * The rules are rewritten as one `iptables-restore` on every change, so a partition is atomic.
 *
 * Names are unique per owner process (`cs-<pid>-<start time>-<n>-<host>`), so tests never collide;
 * `createNetwork` first removes the namespaces of owners that are gone (a test killed with
 * SIGKILL), `destroy()` removes its own, and an exit hook removes whatever is left when the owner
 * exits without calling it. Every process started on a host gets SIGKILL when the owner dies
 * (`setpriv --pdeathsig KILL`), so a killed test leaves no process behind either.
 *
 * Needs root, iproute2 (`ip netns`, veth, bridge), iptables, `setpriv` (util-linux) and python3
 * for delay. `netnsSupport()` says why it cannot run; `createNetwork` throws that reason.
 */

export interface NetworkOptions {
  /** The first three octets of the network's /24: `'10.77.0'` (the default). Hosts get .1, .2, … */
  subnet?: string;
}

/** A link's conditions, the same both ways. All zero (or `{}`) clears them. */
export interface LinkShape {
  /** One-way delay added to every packet, in ms. */
  delayMs?: number;
  /** Each packet's delay is `delayMs ± jitterMs` (uniform; packets may be reordered). */
  jitterMs?: number;
  /** Fraction of packets dropped, 0..1, each direction independently. */
  loss?: number;
}

export interface Host {
  /** The name given to `addHost`. */
  readonly name: string;
  /** The namespace, for `ip netns exec <ns> …` (and `ip -n <ns> …`). */
  readonly ns: string;
  /** The host's IPv4 address on the network. */
  readonly ip: string;
  /**
   * Starts `cmd args` inside this host (`ip netns exec`); the process's pid is the command's own.
   * Output is kept as `startProcess` keeps it. The process gets SIGKILL if the test process dies.
   */
  spawn(
    label: string,
    cmd: string,
    args: string[],
    env?: Record<string, string>,
    opts?: { stdin?: 'pipe' | 'ignore' },
  ): ServiceProcess;
  /** Runs `cmd args` inside this host to completion; resolves with its stdout, rejects on failure. */
  run(cmd: string, args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
}

export interface Network {
  /** Unique per network: the prefix of every namespace name. */
  readonly id: string;
  readonly subnet: string;
  readonly hosts: readonly Host[];
  /** A new host on the network, with the next free address; its `lo` is up. */
  addHost(name: string): Promise<Host>;
  /** Cuts the link between two hosts (both ways): their packets are dropped silently. */
  cut(a: Host, b: Host): Promise<void>;
  /** Restores a cut link. */
  restore(a: Host, b: Host): Promise<void>;
  /** Cuts every link between hosts on different sides (hosts in no side keep every link). */
  partition(...sides: Host[][]): Promise<void>;
  /** Restores every cut link. */
  heal(): Promise<void>;
  /** Gives the link between two hosts delay, jitter and loss (both ways); `{}` clears them. */
  shape(a: Host, b: Host, shape: LinkShape): Promise<void>;
  /** Stops every process started on the hosts, then removes every namespace. Idempotent. */
  destroy(): Promise<void>;
}

const NAME_PREFIX = 'cs-';
const SHAPER = resolve(repoRoot, 'libs/testing/netns-shaper.py');
const MAX_HOSTS = 254;

/** Whether this machine can run test networks: `{ ok: false, reason }` says what is missing. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (supportCache) return supportCache;
  supportCache = probeSupport();
  return supportCache;
}
let supportCache: { ok: true } | { ok: false; reason: string } | undefined;

function probeSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason: 'network namespaces need root (ip netns add, veth, bridge); run the test as root',
    };
  for (const tool of ['ip', 'iptables-restore', 'setpriv', 'sysctl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      return { ok: false, reason: `"${tool}" is not installed (iproute2, iptables, util-linux, procps)` };
    }
  }
  const ns = `${NAME_PREFIX}probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' });
    execFileSync('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge'], { stdio: 'pipe' });
    execFileSync('ip', ['-n', ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1'], {
      stdio: 'pipe',
    });
    execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], {
      input: '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n',
      stdio: 'pipe',
    });
    return { ok: true };
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    return { ok: false, reason: `cannot make a network namespace with a bridge and veths here: ${stderr}` };
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
    } catch {
      // it was never made
    }
  }
}

/** Creates an empty network (its switch); add hosts with `addHost`. Throws when netns cannot work here. */
export async function createNetwork(opts: NetworkOptions = {}): Promise<Network> {
  const support = netnsSupport();
  if (!support.ok) throw new Error(`test network unavailable: ${support.reason}`);
  const subnet = opts.subnet ?? '10.77.0';
  if (!isPrivateSubnet(subnet))
    throw new Error(`subnet ${subnet} must be the first three octets of a private (RFC 1918) /24`);
  cleanStaleNetworks();
  const net = new TestNetwork(`${NAME_PREFIX}${ownerTag()}-${++networkSeq}`, subnet);
  live.add(net);
  try {
    await net.init();
  } catch (err) {
    await net.destroy();
    throw err;
  }
  return net;
}
let networkSeq = 0;

/** `a.b.c` inside 10/8, 172.16/12 or 192.168/16: the only addresses a test network may use. */
export function isPrivateSubnet(subnet: string): boolean {
  const o = subnet.split('.').map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
  if (o.length !== 3 || o.some((x) => !(x >= 0 && x <= 255))) return false;
  const [a, b] = o as [number, number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * Removes the namespaces of networks whose owner process is gone (killed before it could clean
 * up), after killing whatever still runs in them. Returns the names removed.
 */
export function cleanStaleNetworks(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = /^cs-(\d+)-(\d+)-\d+-/.exec(ns);
    if (!m || ownerAlive(Number(m[1]), m[2]!)) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

function listNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(NAME_PREFIX));
}

/** Start time of a process (field 22 of /proc/<pid>/stat), so a reused pid is not mistaken for it. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerTag(): string {
  return `${process.pid}-${startTimeOf(process.pid) ?? '0'}`;
}

function ownerAlive(pid: number, startTime: string): boolean {
  return startTimeOf(pid) === startTime;
}

/** Kills every process in the namespace, then deletes it (synchronous: also used at exit). */
function removeNamespace(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: 'pipe' });
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

const live = new Set<TestNetwork>();
let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const net of live) net.destroySync();
  });
}

function sh(cmd: string, args: string[], input?: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolvePromise(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Every process started on a host dies with the test process, whatever kills it. */
function inNamespace(ns: string, cmd: string, args: string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', ns, cmd, ...args]];
}

class TestNetwork implements Network {
  readonly hosts: NetHost[] = [];
  private readonly sw: string;
  private readonly cuts = new Set<string>();
  private readonly shapes = new Map<string, LinkShape & { queue?: number }>();
  private readonly processes = new Set<ServiceProcess>();
  private shaper: Shaper | undefined;
  private nextQueue = 1;
  private destroyed = false;

  constructor(
    readonly id: string,
    readonly subnet: string,
  ) {
    this.sw = `${id}-sw`;
  }

  async init(): Promise<void> {
    installExitHook();
    await sh('ip', ['netns', 'add', this.sw]);
    await sh('ip', ['-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await sh('ip', ['-n', this.sw, 'link', 'set', 'br0', 'up']);
    // Bridged IPv4 goes through this namespace's iptables (cuts, loss, delay); no IPv6 chatter.
    await sh('ip', [
      'netns',
      'exec',
      this.sw,
      'sysctl',
      '-q',
      '-w',
      'net.bridge.bridge-nf-call-iptables=1',
      'net.ipv6.conf.all.disable_ipv6=1',
    ]);
    await this.applyRules();
  }

  async addHost(name: string): Promise<Host> {
    this.assertLive();
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new Error(`host name "${name}": use a-z, 0-9 and -`);
    if (this.hosts.some((h) => h.name === name)) throw new Error(`host ${name} exists`);
    if (this.hosts.length >= MAX_HOSTS) throw new Error(`a /24 holds at most ${MAX_HOSTS} hosts`);
    const index = this.hosts.length + 1;
    const host = new NetHost(name, `${this.id}-${name}`, `${this.subnet}.${index}`, (p) => this.track(p));
    const port = `p${index}`;
    await sh('ip', ['netns', 'add', host.ns]);
    this.hosts.push(host);
    await sh('ip', ['netns', 'exec', host.ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await sh('ip', [
      '-n',
      host.ns,
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      this.sw,
    ]);
    await sh('ip', ['-n', this.sw, 'link', 'set', port, 'master', 'br0', 'up']);
    await sh('ip', ['-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', host.ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', host.ns, 'link', 'set', 'lo', 'up']);
    return host;
  }

  async cut(a: Host, b: Host): Promise<void> {
    this.cuts.add(pairKey(a, b));
    await this.applyRules();
  }

  async restore(a: Host, b: Host): Promise<void> {
    this.cuts.delete(pairKey(a, b));
    await this.applyRules();
  }

  async partition(...sides: Host[][]): Promise<void> {
    for (const [i, side] of sides.entries())
      for (const other of sides.slice(i + 1))
        for (const a of side) for (const b of other) this.cuts.add(pairKey(a, b));
    await this.applyRules();
  }

  async heal(): Promise<void> {
    this.cuts.clear();
    await this.applyRules();
  }

  async shape(a: Host, b: Host, shape: LinkShape): Promise<void> {
    const loss = shape.loss ?? 0;
    if (!(loss >= 0 && loss <= 1)) throw new Error(`loss ${loss} must be in 0..1`);
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const key = `${from.ip}>${to.ip}`;
      const prev = this.shapes.get(key);
      const next: LinkShape & { queue?: number } = { ...shape, queue: prev?.queue };
      if ((shape.delayMs ?? 0) > 0 || (shape.jitterMs ?? 0) > 0) {
        next.queue ??= this.nextQueue++;
        await this.shaperFor().set(next.queue, shape.delayMs ?? 0, shape.jitterMs ?? 0);
      } else if (next.queue !== undefined) {
        await this.shaperFor().set(next.queue, 0, 0);
      }
      this.shapes.set(key, next);
    }
    await this.applyRules();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.processes].map((p) => p.kill('SIGKILL')));
    this.shaper?.close();
    this.destroySync();
  }

  /** Kills what runs in the namespaces and removes them (the exit hook's path: synchronous). */
  destroySync(): void {
    this.destroyed = true;
    for (const h of this.hosts) removeNamespace(h.ns);
    removeNamespace(this.sw);
    live.delete(this);
  }

  private track(p: ServiceProcess): void {
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
  }

  private shaperFor(): Shaper {
    if (!existsSync(SHAPER)) throw new Error(`${SHAPER} is missing`);
    this.shaper ??= new Shaper(this.sw, (p) => this.track(p));
    return this.shaper;
  }

  /** The switch's whole FORWARD chain, replaced atomically: cuts, then loss, then delay. */
  private async applyRules(): Promise<void> {
    this.assertLive();
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (const key of this.cuts) {
      const [a, b] = key.split('|');
      lines.push(`-A FORWARD -s ${a} -d ${b} -j DROP`, `-A FORWARD -s ${b} -d ${a} -j DROP`);
    }
    for (const [key, s] of this.shapes) {
      const [from, to] = key.split('>');
      const match = `-A FORWARD -s ${from} -d ${to}`;
      if ((s.loss ?? 0) > 0)
        lines.push(`${match} -m statistic --mode random --probability ${s.loss!.toFixed(6)} -j DROP`);
      if (s.queue !== undefined && ((s.delayMs ?? 0) > 0 || (s.jitterMs ?? 0) > 0))
        lines.push(`${match} -j NFQUEUE --queue-num ${s.queue}`);
    }
    lines.push('COMMIT', '');
    await sh('ip', ['netns', 'exec', this.sw, 'iptables-restore'], lines.join('\n'));
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`network ${this.id} was destroyed`);
  }
}

function pairKey(a: Host, b: Host): string {
  return a.ip < b.ip ? `${a.ip}|${b.ip}` : `${b.ip}|${a.ip}`;
}

class NetHost implements Host {
  constructor(
    readonly name: string,
    readonly ns: string,
    readonly ip: string,
    private readonly track: (p: ServiceProcess) => void,
  ) {}

  spawn(
    label: string,
    cmd: string,
    args: string[],
    env: Record<string, string> = {},
    opts: { stdin?: 'pipe' | 'ignore' } = {},
  ): ServiceProcess {
    const [c, a] = inNamespace(this.ns, cmd, args);
    const p = startProcess(label, c, a, env, opts);
    this.track(p);
    return p;
  }

  run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return sh('ip', ['netns', 'exec', this.ns, cmd, ...args], opts.input, opts.timeoutMs);
  }
}

/** The delay program in the switch namespace: one JSON line per queue setting, acknowledged. */
class Shaper {
  private readonly proc: ServiceProcess;
  private readonly acks = new Map<number, () => void>();

  constructor(sw: string, track: (p: ServiceProcess) => void) {
    const [c, a] = inNamespace(sw, 'python3', ['-u', SHAPER]);
    this.proc = startProcess('netns-shaper', c, a, {}, { stdin: 'pipe' });
    track(this.proc);
    createInterface({ input: this.proc.proc.stdout! }).on('line', (line) => {
      const m = /^bound (\d+)$/.exec(line);
      if (m) this.acks.get(Number(m[1]))?.();
    });
  }

  set(queue: number, delayMs: number, jitterMs: number): Promise<void> {
    if (this.proc.proc.exitCode !== null || this.proc.proc.signalCode !== null)
      throw new Error(`the link shaper exited: ${this.proc.output()}`);
    return new Promise((resolvePromise, reject) => {
      const t = setTimeout(
        () => reject(new Error(`the link shaper did not bind queue ${queue}: ${this.proc.output()}`)),
        10_000,
      );
      this.acks.set(queue, () => {
        clearTimeout(t);
        this.acks.delete(queue);
        resolvePromise();
      });
      this.proc.proc.stdin!.write(`${JSON.stringify({ queue, delayMs, jitterMs })}\n`);
    });
  }

  close(): void {
    this.proc.proc.stdin?.end();
  }
}
