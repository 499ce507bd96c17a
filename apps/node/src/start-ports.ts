import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { StartOptions } from './start-options.js';

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}

/**
 * Every port `npm start` will listen on, checked up front: a clash found now gets a message
 * naming the flag to change, instead of a service dying half-way through the start.
 */
export async function busyPorts(o: StartOptions): Promise<string[]> {
  const problems: string[] = [];
  if (!(await tcpFree(o.httpPort, '127.0.0.1')))
    problems.push(`TCP port ${o.httpPort} (dashboard) is in use: pass --http-port`);
  if (!(await udpFree(o.udpPort, o.udpHost)))
    problems.push(`UDP port ${o.udpPort} is in use: pass --udp-port (is another node running?)`);
  if (o.devnet) {
    for (let p = o.devnetBasePort; p < o.devnetBasePort + o.devnetPeers; p++) {
      if (!(await udpFree(p, '127.0.0.1'))) {
        problems.push(`UDP port ${p} (devnet) is in use: pass --devnet-base-port`);
        break;
      }
    }
  }
  return problems;
}
