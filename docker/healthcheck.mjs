// Container healthcheck (the slim image has no curl). Exit 0 when healthy:
//   healthcheck.mjs [PORT]             this container's service answers /readyz on PORT with 200;
//                                      PORT defaults to HTTP_PORT/OPS_PORT, else the default port of
//                                      the service entrypoint.sh started
//   healthcheck.mjs stats:HOST:PORT    a protocol peer (the devnet) answers STATS with STATS_REPLY
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const TIMEOUT_MS = 2500;
const arg = process.argv[2] ?? '';

if (arg.startsWith('stats:')) {
  const [, host, port] = arg.split(':');
  const sock = createSocket('udp4');
  const done = (code) => {
    sock.close();
    process.exit(code);
  };
  sock.on('message', (buf) => {
    try {
      if (JSON.parse(buf.toString()).type === 'STATS_REPLY') done(0);
    } catch {
      // not JSON: keep waiting
    }
  });
  sock.on('error', () => done(1));
  sock.send(JSON.stringify({ type: 'STATS' }), Number(port), host);
  setTimeout(() => done(1), TIMEOUT_MS);
} else {
  const defaults = { gossip: 9101, consensus: 9102, validator: 9103, 'chain-store': 9104, api: 8080 };
  let service = '';
  try {
    service = readFileSync('/tmp/chainsync-service', 'utf8').trim();
  } catch {
    // not started through entrypoint.sh
  }
  const port =
    arg || (service === 'api' && process.env.HTTP_PORT) || process.env.OPS_PORT || defaults[service] || 8080;
  fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    .then((res) => process.exit(res.ok ? 0 : 1))
    .catch(() => process.exit(1));
}
