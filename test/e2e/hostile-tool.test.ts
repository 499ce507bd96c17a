import type { Socket } from 'node:dgram';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DATAGRAM_BYTES,
  MAX_NAME_CHARS,
  blockReply,
  encodeMessage,
  isBlockReply,
  nullBlockReply,
  parseDatagram,
  toBlock,
  validateBlock,
  type Block,
  type Message,
  type PeerAddr,
} from '@chainsync/protocol';
import { udpSocket } from '@chainsync/service-kit';
import { freeUdpPortRange, startApp, waitFor } from '@chainsync/testing';
import {
  HOSTILE_MODES,
  generateChain,
  seededRand,
  startDevnet,
  startHostile,
  type HostileHandle,
  type HostileOptions,
} from '../../apps/devnet/src/index.js';

/**
 * The hostile devnet against a stub standing in for the node: a UDP socket that records every
 * datagram, answers GOSSIP with GOSSIP_REPLY and STATS / GET_BLOCK from its own small chain, and
 * can ask the attackers STATS and GET_BLOCK as a node's consensus would. Each mode runs for a
 * second or two; the checks are on what it sends (types, sizes, rates within a factor of two)
 * and that it stops cleanly. The node's defences are tested elsewhere, with this tool.
 */

const HOST = '127.0.0.1';
const D = 2;
const RUN_MS = 1_500;

type Seen = { msg: Message | undefined; bytes: number; from: PeerAddr; at: number };

class StubNode {
  readonly seen: Seen[] = [];
  chain: readonly Block[] = [];
  private closed = false;

  private constructor(
    readonly socket: Socket,
    readonly addr: PeerAddr,
  ) {
    socket.on('message', (buf, rinfo) => {
      const from = { host: rinfo.address, port: rinfo.port };
      const r = parseDatagram(buf);
      const msg = r.ok ? r.msg : undefined;
      this.seen.push({ msg, bytes: buf.length, from, at: performance.now() });
      if (msg) this.answer(msg, from);
    });
  }

  static async open(): Promise<StubNode> {
    // Floods arrive in bursts: a default-sized (~200 KB) buffer would drop some of what is counted.
    const socket = udpSocket(8 << 20);
    await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
    return new StubNode(socket, { host: HOST, port: socket.address().port });
  }

  send(to: PeerAddr, msg: Message): void {
    this.socket.send(encodeMessage(msg), to.port, to.host);
  }

  /** Received datagrams of one type, from `since` on. */
  of(type: Message['type'], since = 0): Seen[] {
    return this.seen.slice(since).filter((s) => s.msg?.type === type);
  }

  /** The attackers that joined: the origins of the GOSSIPs that named their own source socket. */
  joined(): PeerAddr[] {
    const keys = new Set<string>();
    const out: PeerAddr[] = [];
    for (const s of this.of('GOSSIP')) {
      const g = s.msg as Extract<Message, { type: 'GOSSIP' }>;
      const key = `${g.host}:${g.port}`;
      if (g.port === s.from.port && !keys.has(key)) {
        keys.add(key);
        out.push({ host: g.host, port: g.port });
      }
    }
    return out;
  }

  /** Sends `msg` to `to` and waits for the next datagram from it that `pred` accepts. */
  async ask(to: PeerAddr, msg: Message, pred: (m: Message) => boolean = () => true): Promise<Seen> {
    const mark = this.seen.length;
    this.send(to, msg);
    return waitFor(
      () => this.seen.slice(mark).find((s) => s.from.port === to.port && s.msg !== undefined && pred(s.msg)),
      { timeoutMs: 5_000, what: `an answer to ${msg.type}` },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private answer(msg: Message, from: PeerAddr): void {
    const tip = this.chain[this.chain.length - 1]!;
    if (msg.type === 'GOSSIP' && msg.host === HOST)
      this.send({ host: msg.host, port: msg.port }, { type: 'GOSSIP_REPLY', ...this.addr, name: 'stub' });
    else if (msg.type === 'STATS')
      this.send(from, { type: 'STATS_REPLY', height: this.chain.length, hash: tip.hash });
    else if (msg.type === 'GET_BLOCK') {
      const b = this.chain[msg.height];
      this.send(from, b ? blockReply(b) : nullBlockReply(null));
    }
  }
}

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));
const distinctPorts = (seen: Seen[]) => new Set(seen.map((s) => s.from.port)).size;
const asBlock = (s: Seen) => toBlock(s.msg as Block);
const isReply = (m: Message) => m.type === 'GET_BLOCK_REPLY';

/** Datagrams per second over the run, checked against the mode's rate within a factor of two. */
function expectRate(seen: Seen[], perSecond: number, ms: number): void {
  const rate = seen.length / (ms / 1000);
  expect(rate).toBeGreaterThan(perSecond / 2);
  expect(rate).toBeLessThan(perSecond * 2);
}

let honest: Block[];
let stub: StubNode;
let hostile: HostileHandle | undefined;

beforeAll(async () => {
  honest = await generateChain({ blocks: 25, difficulty: D, seed: 'hostile-e2e' });
});

async function run(opts: Partial<HostileOptions> & Pick<HostileOptions, 'modes'>) {
  stub = await StubNode.open();
  stub.chain = honest;
  hostile = await startHostile({
    target: stub.addr,
    chain: honest,
    difficulty: D,
    rand: seededRand('hostile-e2e'),
    ...opts,
  });
  return { h: hostile, started: performance.now() };
}

/** Runs until RUN_MS after `started`, then stops; returns how long the mode ran. */
async function runFor(started: number): Promise<number> {
  await quiet(Math.max(0, RUN_MS - (performance.now() - started)));
  const ran = performance.now() - started;
  await stopAndCheckQuiet();
  return ran;
}

/**
 * Stops the tool and checks it is quiet afterwards: no socket left open, and once what was in
 * flight has drained (the stub shares this event loop), nothing more arrives.
 */
async function stopAndCheckQuiet(): Promise<void> {
  const h = hostile!;
  await h.stop();
  for (const s of Object.values(h.stats())) expect(s.sockets).toBe(0);
  let count = stub.seen.length;
  await waitFor(
    async () => {
      const before = count;
      await quiet(100);
      count = stub.seen.length;
      return count === before;
    },
    { timeoutMs: 5_000, intervalMs: 0, what: 'the stub to drain' },
  );
  await quiet(500);
  expect(stub.seen.length).toBe(count);
  hostile = undefined;
}

afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
  stub?.close();
});

describe('hostile devnet against a stub node', () => {
  it('fat-datagrams: STATS, GET_BLOCK_REPLY and GOSSIP at the parse cap, 20/s from 4 ports', async () => {
    const { h, started } = await run({ modes: ['fat-datagrams'] });
    const ran = await runFor(started);
    const all = stub.seen;
    expectRate(all, 20, ran);
    expect(distinctPorts(all)).toBe(4);
    for (const s of all) {
      expect(s.bytes).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
      expect(s.bytes).toBeGreaterThan(MAX_DATAGRAM_BYTES - 5);
    }
    expect(new Set(all.map((s) => s.msg?.type))).toEqual(new Set(['STATS', 'GET_BLOCK_REPLY', 'GOSSIP']));
    expect(
      stub.of('GET_BLOCK_REPLY').every((s) => isBlockReply(s.msg as Block & { type: 'GET_BLOCK_REPLY' })),
    ).toBe(true);
    const st = h.stats()['fat-datagrams']!;
    expect(st.sent).toEqual({ datagrams: all.length, bytes: all.reduce((n, s) => n + s.bytes, 0) });
    // The stub answers each STATS and GOSSIP; those answers are counted as received, but for
    // the few still in flight when the sockets closed.
    const answered = st.counters.stats! + st.counters.gossips!;
    expect(st.received.datagrams).toBeLessThanOrEqual(answered);
    expect(st.received.datagrams).toBeGreaterThanOrEqual(answered - 4);
  });

  it('tall-claims: 8 identities join, push distinct huge claims every 100 ms, serve the honest chain relabelled', async () => {
    const claim = 1_000_000_000;
    const { h, started } = await run({
      modes: ['tall-claims'],
      knobs: { 'tall-claims': { heights: 'distinct', blocks: 'relabel' } },
    });
    await waitFor(() => stub.joined().length === 8);
    const [first] = stub.joined();
    const stats = await stub.ask(first!, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY');
    expect(stats.msg).toEqual({ type: 'STATS_REPLY', height: claim, hash: honest[24]!.hash });
    const top = asBlock(await stub.ask(first!, { type: 'GET_BLOCK', height: claim - 1 }, isReply));
    expect(top).toEqual({ ...honest[24]!, height: claim - 1 });
    const under = asBlock(await stub.ask(first!, { type: 'GET_BLOCK', height: claim - 2 }, isReply));
    expect(validateBlock(top, under.hash, D)).toEqual({ ok: true });
    const below = await stub.ask(first!, { type: 'GET_BLOCK', height: 5 }, isReply);
    expect(below.msg).toEqual(nullBlockReply(null));
    const ran = await runFor(started);

    const pushes = stub.of('STATS_REPLY');
    expectRate(pushes, 80, ran);
    expect(new Set(pushes.map((s) => (s.msg as { height: number }).height))).toEqual(
      new Set(Array.from({ length: 8 }, (_, i) => claim + i)),
    );
    expect(h.stats()['tall-claims']!.counters.gossipSent).toBe(8);
  });

  it('tall-claims, blocks=none: never answers GET_BLOCK', async () => {
    const { started } = await run({
      modes: ['tall-claims'],
      knobs: { 'tall-claims': { sockets: 2, pushMs: 0 } },
    });
    await waitFor(() => stub.joined().length === 2);
    for (const p of stub.joined()) stub.send(p, { type: 'GET_BLOCK', height: 3 });
    await runFor(started);
    expect(stub.of('GET_BLOCK_REPLY')).toHaveLength(0);
    expect(stub.of('STATS_REPLY')).toHaveLength(0);
  });

  it('wide-blocks: answers GET_BLOCK with a block of 3-byte characters at the parse cap', async () => {
    const { started } = await run({ modes: ['wide-blocks'] });
    await waitFor(() => stub.joined().length === 2);
    const [p] = stub.joined();
    const stats = await stub.ask(p!, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY');
    expect(stats.msg).toEqual({ type: 'STATS_REPLY', height: 25, hash: honest[24]!.hash });
    const reply = await stub.ask(p!, { type: 'GET_BLOCK', height: 9 }, isReply);
    const block = asBlock(reply);
    expect(block.height).toBe(9);
    expect(reply.bytes).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(reply.bytes).toBeGreaterThan(MAX_DATAGRAM_BYTES - 200);
    expect(reply.bytes).toBeGreaterThan(2.5 * JSON.stringify(reply.msg).length);
    await runFor(started);
  });

  it('fake-peers: alternating GOSSIP_REPLY / GOSSIP naming distinct 127/8 addresses with control-character names', async () => {
    const { started } = await run({ modes: ['fake-peers'] });
    const ran = await runFor(started);
    const all = stub.seen;
    expectRate(all, 500, ran);
    expect(distinctPorts(all)).toBe(4);
    const named = all.map((s) => s.msg as { type: string; host: string; port: number; name: string });
    expect(new Set(named.map((m) => m.type))).toEqual(new Set(['GOSSIP', 'GOSSIP_REPLY']));
    for (const m of named) {
      expect(m.host).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(m.host).not.toBe(HOST);
      expect(m.name).toHaveLength(MAX_NAME_CHARS);
    }
    const distinct = new Set(named.map((m) => `${m.host}:${m.port}`)).size;
    expect(distinct).toBe(Math.min(1000, Math.ceil(named.length / 2)));
  });

  it("fork-liar: answers with the target's own block where it has one, else the honest block", async () => {
    // The stub holds a fork of the honest chain from height 10, shorter than it.
    const fork = await generateChain({
      blocks: 20,
      difficulty: D,
      seed: 'hostile-e2e',
      base: honest,
      forkAt: 10,
    });
    const { h, started } = await run({ modes: ['fork-liar'] });
    stub.chain = fork;
    await waitFor(() => stub.joined().length === 1);
    const [liar] = stub.joined();
    const stats = await stub.ask(liar!, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY');
    expect(stats.msg).toEqual({ type: 'STATS_REPLY', height: 25, hash: honest[24]!.hash });
    await waitFor(() => stub.of('STATS').length > 0);
    await quiet(50);
    const own = asBlock(await stub.ask(liar!, { type: 'GET_BLOCK', height: 15 }, isReply));
    expect(own).toEqual(fork[15]);
    expect(own.hash).not.toBe(honest[15]!.hash);
    expect(stub.of('GET_BLOCK').map((s) => (s.msg as { height: number }).height)).toEqual([15]);
    const above = asBlock(await stub.ask(liar!, { type: 'GET_BLOCK', height: 22 }, isReply));
    expect(above).toEqual(honest[22]);
    // A second ask for 15 is served from the liar's cache: no new fetch from the target.
    expect(asBlock(await stub.ask(liar!, { type: 'GET_BLOCK', height: 15 }, isReply))).toEqual(fork[15]);
    expect(stub.of('GET_BLOCK')).toHaveLength(1);
    await runFor(started);
    expect(h.stats()['fork-liar']!.counters).toMatchObject({ ownBlocksSent: 2, fetchesFromTarget: 1 });
  });

  it('junk-swarm: 16 identities answer GET_BLOCK with junk of the asked height', async () => {
    const { started } = await run({ modes: ['junk-swarm'] });
    await waitFor(() => stub.joined().length === 16);
    for (const p of stub.joined()) {
      const junk = asBlock(await stub.ask(p, { type: 'GET_BLOCK', height: 3 }, isReply));
      expect(junk.height).toBe(3);
      expect(validateBlock(junk, honest[2]!.hash, D)).toEqual({ ok: false, reason: 'wrong_hash' });
    }
    await runFor(started);
  });

  it('private-branch: claims honest length + 1000 and serves its branch and a relabelled top that checks out', async () => {
    const { started } = await run({ modes: ['private-branch'] });
    await waitFor(() => stub.joined().length === 1);
    const [p] = stub.joined();
    const claim = (await stub.ask(p!, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY')).msg as {
      height: number;
      hash: string;
    };
    expect(claim.height).toBe(1025);
    const get = async (height: number) => (await stub.ask(p!, { type: 'GET_BLOCK', height }, isReply)).msg!;
    expect(await get(24)).toEqual(blockReply(honest[24]!));
    const first = toBlock((await get(25)) as Block);
    expect(validateBlock(first, honest[24]!.hash, D)).toEqual({ ok: true });
    const top = toBlock((await get(1024)) as Block);
    const under = toBlock((await get(1023)) as Block);
    expect(top.hash).toBe(claim.hash);
    expect(validateBlock(top, under.hash, D)).toEqual({ ok: true });
    expect(await get(28)).toEqual(nullBlockReply(null));
    await runFor(started);
  });

  it('announce-flood: one invalid ANNOUNCE per fresh port, then quiet', async () => {
    const { h, started } = await run({
      modes: ['announce-flood'],
      knobs: { 'announce-flood': { count: 300, rate: 300 } },
    });
    await waitFor(
      () =>
        h.stats()['announce-flood']!.counters.identities === 300 &&
        h.stats()['announce-flood']!.sockets === 0,
    );
    const all = stub.of('ANNOUNCE');
    const lasted = all[all.length - 1]!.at - started;
    expectRate(all, 300, lasted);
    expect(all).toHaveLength(300);
    expect(distinctPorts(all)).toBeGreaterThan(250);
    const kinds = all.map((s) => {
      const v = validateBlock(asBlock(s), honest[24]!.hash, D);
      return v.ok ? 'valid' : v.reason;
    });
    expect(new Set(kinds)).toEqual(new Set(['insufficient_work', 'too_many_messages']));
    await runFor(started);
    expect(stub.of('ANNOUNCE')).toHaveLength(300);
  });

  it('consensus-flood: CONSENSUS at 200/s from 50 ports; its listeners join and stay silent', async () => {
    const { h, started } = await run({ modes: ['consensus-flood'] });
    await waitFor(() => stub.joined().length === 4);
    for (const p of stub.joined()) stub.send(p, { type: 'STATS' });
    const ran = await runFor(started);
    const floods = stub.of('CONSENSUS');
    expectRate(floods, 200, ran);
    expect(distinctPorts(floods)).toBe(50);
    expect(stub.of('STATS_REPLY')).toHaveLength(0);
    expect(h.stats()['consensus-flood']!.counters.statsAsked).toBe(4);
  });

  it('get-block-flood: 2000 GET_BLOCK/s from 200 ports, and counts the amplification', async () => {
    const { h, started } = await run({ modes: ['get-block-flood'] });
    const ran = await runFor(started);
    const asks = stub.of('GET_BLOCK');
    expectRate(asks, 2000, ran);
    expect(distinctPorts(asks)).toBe(200);
    expect(asks.every((s) => (s.msg as { height: number }).height < 25)).toBe(true);
    const st = h.stats()['get-block-flood']!;
    expect(st.counters.blockReplies).toBeGreaterThan(0.9 * asks.length);
    expect(st.amplification).toBeGreaterThan(5);
  });

  it('gossip-reflect: GOSSIPs with fresh ids name the victim, which counts what comes back', async () => {
    const { h, started } = await run({ modes: ['gossip-reflect'] });
    const ran = await runFor(started);
    const gossips = stub.of('GOSSIP');
    expectRate(gossips, 100, ran);
    const victims = new Set(gossips.map((s) => (s.msg as { port: number }).port));
    expect(victims.size).toBe(1);
    expect(gossips.every((s) => s.from.port !== [...victims][0])).toBe(true);
    expect(new Set(gossips.map((s) => (s.msg as { id: string }).id)).size).toBe(gossips.length);
    const st = h.stats()['gossip-reflect']!;
    // One GOSSIP_REPLY per GOSSIP, but for the few in flight when the victim closed.
    expect(st.counters.victimDatagrams).toBeLessThanOrEqual(gossips.length);
    expect(st.counters.victimDatagrams).toBeGreaterThanOrEqual(gossips.length - 5);
    expect(st.amplification).toBeGreaterThan(0.5);
  });

  it('slow: a correct source whose every reply is late', async () => {
    const { started } = await run({ modes: ['slow'], knobs: { slow: { delayMs: 600 } } });
    await waitFor(() => stub.joined().length === 1);
    const [p] = stub.joined();
    const t0 = performance.now();
    const stats = await stub.ask(p!, { type: 'STATS' }, (m) => m.type === 'STATS_REPLY');
    expect(stats.at - t0).toBeGreaterThanOrEqual(590);
    expect(stats.msg).toEqual({ type: 'STATS_REPLY', height: 25, hash: honest[24]!.hash });
    const t1 = performance.now();
    const reply = await stub.ask(p!, { type: 'GET_BLOCK', height: 11 }, isReply);
    expect(reply.at - t1).toBeGreaterThanOrEqual(590);
    expect(reply.msg).toEqual(blockReply(honest[11]!));
    await runFor(started);
  });

  it('stale-answers: junk of the right height at once, the right block late', async () => {
    const { started } = await run({ modes: ['stale-answers'], knobs: { 'stale-answers': { lateMs: 500 } } });
    await waitFor(() => stub.joined().length === 1);
    const [p] = stub.joined();
    const mark = stub.seen.length;
    const t0 = performance.now();
    stub.send(p!, { type: 'GET_BLOCK', height: 7 });
    await waitFor(() => stub.of('GET_BLOCK_REPLY', mark).length === 2);
    const [early, late] = stub.of('GET_BLOCK_REPLY', mark);
    expect(asBlock(early!).height).toBe(7);
    expect(validateBlock(asBlock(early!), honest[6]!.hash, D).ok).toBe(false);
    expect(late!.msg).toEqual(blockReply(honest[7]!));
    expect(late!.at - t0).toBeGreaterThanOrEqual(490);
    await runFor(started);
  });

  it('reads the honest chain from an honest devnet peer instead (honestPeer)', async () => {
    const devnet = await startDevnet({
      peers: 1,
      basePort: await freeUdpPortRange(1),
      chain: honest,
      difficulty: D,
    });
    try {
      const { started } = await run({
        modes: ['slow', 'private-branch'],
        chain: undefined,
        honestPeer: { host: HOST, port: devnet.peers[0]!.port },
        knobs: { slow: { delayMs: 0 } },
      });
      await waitFor(() => stub.joined().length === 2);
      for (const p of stub.joined()) {
        const reply = await stub.ask(p, { type: 'GET_BLOCK', height: 13 }, isReply);
        expect(reply.msg).toEqual(blockReply(honest[13]!));
      }
      await runFor(started);
    } finally {
      await devnet.stop();
    }
  });

  it('all: every mode sends, and one stop closes every socket', async () => {
    const { h, started } = await run({ modes: 'all', knobs: { slow: { delayMs: 100 } } });
    expect(h.modes).toEqual(HOSTILE_MODES);
    await quiet(1_000);
    for (const m of HOSTILE_MODES) expect(h.stats()[m]!.sent.datagrams, m).toBeGreaterThan(0);
    await runFor(started);
  });
});

describe('devnet CLI --hostile', () => {
  it('mounts the attacks on the bootstrap peer, logs what each sends, and prints a summary on SIGTERM', async () => {
    stub = await StubNode.open();
    const p0 = await freeUdpPortRange(2);
    const cli = startApp('devnet', { LOG_LEVEL: 'info' }, [
      ...['--peers', '2', '--base-port', String(p0), '--blocks', '30', '--difficulty', String(D)],
      ...['--bootstrap', `${HOST}:${stub.addr.port}`, '--hostile', 'fat-datagrams,tall-claims'],
      ...['--hostile-option', 'sockets=2,tall-claims.pushMs=50ms', '--hostile-seed', 'cli'],
    ]);
    try {
      stub.chain = honest;
      await waitFor(() => stub.of('STATS_REPLY').length >= 20 && stub.of('STATS').length > 0, {
        timeoutMs: 20_000,
        what: 'pushed claims and fat datagrams',
      });
      // Two tall-claims identities and the two devnet peers join the node.
      const names = () => new Set(stub.of('GOSSIP').map((g) => (g.msg as { name: string }).name));
      await waitFor(() =>
        ['hostile-tall-claims-0', 'hostile-tall-claims-1', 'devnet-0', 'devnet-1'].every((n) =>
          names().has(n),
        ),
      );
      const fat = stub.seen.filter((s) => s.bytes > MAX_DATAGRAM_BYTES - 5);
      expect(distinctPorts(fat)).toBe(2);
      await waitFor(() => /hostile tall-claims: sent \d+ datagrams/.test(cli.output()), {
        what: 'a per-second line',
      });
      expect(await cli.kill('SIGTERM')).toBe(0);
      expect(cli.output()).toMatch(
        /hostile fat-datagrams: sent \d+ datagrams \(\d+ B\), got back \d+ \(\d+ B\) in total/,
      );
      expect(cli.output()).toMatch(/devnet stopped/);
    } finally {
      await cli.kill('SIGKILL');
    }
  });

  it('refuses unknown modes, options no mode has, and --hostile without exactly one bootstrap peer', async () => {
    const p0 = await freeUdpPortRange(1);
    const base = ['--peers', '1', '--base-port', String(p0), '--blocks', '5', '--difficulty', '1'];
    const cases: [string[], RegExp][] = [
      [[...base, '--bootstrap', `${HOST}:9`, '--hostile', 'nope'], /unknown hostile mode "nope"/],
      [
        [...base, '--bootstrap', `${HOST}:9`, '--hostile', 'slow', '--hostile-option', 'rate=5'],
        /no running hostile mode has the option "rate"/,
      ],
      [
        [...base, '--bootstrap', `${HOST}:9`, '--hostile', 'slow', '--hostile-option', 'delayMs=2h'],
        /not a duration/,
      ],
      [[...base, '--hostile', 'slow'], /exactly one/],
      [[...base, '--bootstrap', `${HOST}:9`, '--hostile-seed', 'x'], /go with --hostile/],
    ];
    const help = startApp('devnet', {}, ['--hostile', 'help']);
    expect(await help.exited).toBe(0);
    for (const m of HOSTILE_MODES) expect(help.output()).toContain(`${m}: `);
    for (const [args, message] of cases) {
      const p = startApp('devnet', {}, args);
      expect(await p.exited, args.join(' ')).toBe(2);
      expect(p.output()).toMatch(message);
    }
  });
});
