import { ephemeralLow, freeTcpPort } from '@chainsync/service-kit';
import { createSocket } from 'node:dgram';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export const freePort = freeTcpPort;

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/**
 * `count` consecutive free UDP ports starting at a random base (devnet peers use P..P+K-1).
 * `belowEphemeral`: under Linux's ephemeral range (ephemeralLow(), 32768 by default), so a port
 * reserved for a process that binds it later cannot be taken meanwhile by sockets bound to port 0
 * (a flood of attacker sockets).
 */
export async function freeUdpPortRange(count: number, belowEphemeral = false): Promise<number> {
  const span = belowEphemeral ? Math.max(1, ephemeralLow() - 20_000 - count) : 30_000;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * span);
    const socks = [];
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      const sock = createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        sock.once('error', () => resolve(false));
        sock.bind(base + i, '127.0.0.1', () => resolve(true));
      });
      socks.push(sock);
    }
    await Promise.all(
      socks.map(
        (s) =>
          new Promise<void>((r) => {
            try {
              s.close(() => r());
            } catch {
              r();
            }
          }),
      ),
    );
    if (ok) return base;
  }
  throw new Error('no free UDP port range found');
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`,
  );
}
