import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** The lowest port of Linux's ephemeral range: what the kernel picks from for port 0 and for outgoing connections. */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = (srv.address() as { port: number }).port;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1, for a process that binds it later (a
 * service's ops port, a nats-server). Taken below the ephemeral range where there is room: a port
 * the kernel hands out by itself can go to any outgoing connection (a service's own connection to
 * NATS) before its process binds it, which failed a start with EADDRINUSE now and then.
 */
export async function freeTcpPort(): Promise<number> {
  const low = ephemeralLow();
  const from = 10_000;
  for (let attempt = 0; attempt < 20 && low - from > 1_000; attempt++) {
    const port = await listenOnce(from + Math.floor(Math.random() * (low - from)));
    if (port !== null) return port;
  }
  const port = await listenOnce(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function poll(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), { code: 'timeout' });
}

/** Resolves once something listens on 127.0.0.1:port. */
export function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  return poll(`TCP port ${port}`, timeoutMs, () => tcpOpen(port));
}

/** Resolves once http://127.0.0.1:<opsPort>/readyz answers 200. */
export function waitReady(opsPort: number, timeoutMs: number): Promise<void> {
  return poll(`readyz on ${opsPort}`, timeoutMs, async () => {
    const r = await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined);
    return r?.status === 200;
  });
}
