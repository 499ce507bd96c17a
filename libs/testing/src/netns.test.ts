import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanStaleNetworks, createNetwork, isPrivateSubnet, type Host, type Network } from './netns.js';

/**
 * An echo server on one host and a client on another, both real UDP sockets inside their
 * namespaces: what a cut, loss and delay do to the packets between them.
 */
const ECHO = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(7000, process.argv[1], () => console.log('listening'));`;

/** Sends `n` datagrams, 5 ms apart; prints {got, rttMs: [...]} after the last one had 0.8 s. */
const CLIENT = `
const [to, n] = [process.argv[1], Number(process.argv[2])];
const s = require('node:dgram').createSocket('udp4');
const sent = new Map(); const rtt = [];
s.on('message', (m) => { const t = sent.get(m.toString()); if (t) rtt.push(performance.now() - t); });
s.bind(0, () => {
  let i = 0;
  const t = setInterval(() => {
    if (i === n) { clearInterval(t); return void setTimeout(() => { console.log(JSON.stringify({ got: rtt.length, rttMs: rtt })); s.close(); }, 800); }
    const id = String(i++); sent.set(id, performance.now()); s.send(id, 7000, to);
  }, 5);
});`;

describe('netns: a test network of real hosts', () => {
  let net: Network;
  let a: Host;
  let b: Host;
  const echo = async (n: number) => {
    const out = await a.run(process.execPath, ['-e', CLIENT, b.ip, String(n)]);
    return JSON.parse(out) as { got: number; rttMs: number[] };
  };

  beforeAll(async () => {
    net = await createNetwork({ subnet: '10.77.9' });
    a = await net.addHost('a');
    b = await net.addHost('b');
    const server = b.spawn('echo', process.execPath, ['-e', ECHO, b.ip]);
    await new Promise<void>((r) =>
      server.proc.stdout!.on('data', (d) => String(d).includes('listening') && r()),
    );
  });
  afterAll(() => net?.destroy());

  it('gives each host its own address in the subnet, and they reach each other', async () => {
    expect([a.ip, b.ip]).toEqual(['10.77.9.1', '10.77.9.2']);
    expect(await a.run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain('10.77.9.1/24');
    // No route but the subnet: nothing can leave the machine.
    expect((await a.run('ip', ['-4', 'route'])).trim()).toBe(
      '10.77.9.0/24 dev eth0 proto kernel scope link src 10.77.9.1',
    );
    expect((await echo(20)).got).toBe(20);
  });

  it('cuts a link silently and restores it', async () => {
    await net.cut(a, b);
    expect((await echo(10)).got).toBe(0);
    await net.restore(a, b);
    expect((await echo(10)).got).toBe(10);
    await net.partition([a], [b]);
    expect((await echo(10)).got).toBe(0);
    await net.heal();
    expect((await echo(10)).got).toBe(10);
  });

  it('delays the packets of a shaped link both ways, and clears it', async () => {
    await net.shape(a, b, { delayMs: 60 });
    const { got, rttMs } = await echo(20);
    expect(got).toBe(20);
    // 60 ms each way; the loop adds at most a few ms.
    expect(Math.min(...rttMs)).toBeGreaterThanOrEqual(118);
    expect(Math.max(...rttMs)).toBeLessThan(400);
    await net.shape(a, b, {});
    expect(Math.max(...(await echo(10)).rttMs)).toBeLessThan(50);
  });

  it('loses a fraction of the packets of a lossy link', async () => {
    await net.shape(a, b, { loss: 0.3 });
    // Each echo crosses the link twice: 0.7² ≈ 49 % come back; 400 tries keep it within 35–65 %.
    const { got } = await echo(400);
    expect(got).toBeGreaterThan(140);
    expect(got).toBeLessThan(260);
    await net.shape(a, b, {});
  });

  it('removes the namespaces of a network whose owner is gone, and its own on destroy', async () => {
    execFileSync('ip', ['netns', 'add', 'cs-999999999-1-1-sw']);
    expect(cleanStaleNetworks()).toContain('cs-999999999-1-1-sw');
    const other = await createNetwork();
    const h = await other.addHost('x');
    const names = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(names()).toContain(h.ns);
    await other.destroy();
    expect(names()).not.toContain(other.id);
  });

  it('takes only private subnets', () => {
    expect(isPrivateSubnet('10.77.0')).toBe(true);
    expect(isPrivateSubnet('172.31.5')).toBe(true);
    expect(isPrivateSubnet('192.168.1')).toBe(true);
    expect(isPrivateSubnet('8.8.8')).toBe(false);
    expect(isPrivateSubnet('172.32.0')).toBe(false);
    expect(isPrivateSubnet('10.300.0')).toBe(false);
  });
});
