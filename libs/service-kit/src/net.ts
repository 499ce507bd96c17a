import { connect, createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
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
