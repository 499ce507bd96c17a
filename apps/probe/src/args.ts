import { parseArgs } from 'node:util';
import type { PeerAddr } from '@chainsync/protocol';
import { DEFAULT_DIFFICULTY, DEFAULT_RATE_PER_S, MAX_RATE_PER_S } from './limits.js';

export const USAGE = `usage: npm run probe -- HOST:PORT [options]

Checks a peer against the protocol as docs/protocol.md states it: one line per check (pass,
warn, fail or skip; what was sent, what came back, the spec section), then a summary. It sends
only to HOST:PORT (and --reference), paced, and answers the peer as a peer would.
  --difficulty D          trailing hex zeros a block hash needs (default ${DEFAULT_DIFFICULTY}, the network's)
  --json                  the report as JSON, for machines (npm run -s probe -- … --json)
  --full                  check every block of the chain (progress bar on stderr), not a sample
  --robustness            also send malformed datagrams (announced first), then check it still answers
  --reference HOST:PORT   compare its chain with this peer's (a peer you trust): a fork fails
  --rate N                datagrams per second to the peer (default ${DEFAULT_RATE_PER_S}, at most ${MAX_RATE_PER_S})
  --advertise-host H      the address the peer can reach the probe at, put in its GOSSIP
                          (default: the local address that routes to HOST)
  --no-gossip             skip the GOSSIP checks (behind NAT the peer cannot answer the probe)
  --help                  this text
Exit status: 0 when no check fails, 1 when one does, 2 for bad arguments.`;

export class UsageError extends Error {
  readonly code = 'usage';
}

export interface ProbeArgs {
  target: PeerAddr;
  reference: PeerAddr | null;
  difficulty: number;
  json: boolean;
  full: boolean;
  robustness: boolean;
  gossip: boolean;
  ratePerS: number;
  advertiseHost: string | undefined;
  help: boolean;
}

/** `host:port` (a name or an IPv4 address; IPv6 is not the network's). */
export function parseHostPort(text: string, what: string): PeerAddr {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`${what} must be HOST:PORT, e.g. 127.0.0.1:8999 (got "${text}")`);
  return { host: m[1]!, port };
}

function intOption(name: string, value: string | undefined, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in ${min}..${max} (got "${value}")`);
  return n;
}

export function parseProbeArgs(argv: readonly string[]): ProbeArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      difficulty: { type: 'string' },
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      robustness: { type: 'boolean', default: false },
      reference: { type: 'string' },
      rate: { type: 'string' },
      'advertise-host': { type: 'string' },
      'no-gossip': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const base = {
    difficulty: intOption('difficulty', values.difficulty, 0, 64, DEFAULT_DIFFICULTY),
    json: values.json,
    full: values.full,
    robustness: values.robustness,
    gossip: !values['no-gossip'],
    ratePerS: intOption('rate', values.rate, 1, MAX_RATE_PER_S, DEFAULT_RATE_PER_S),
    advertiseHost: values['advertise-host'],
    reference: values.reference === undefined ? null : parseHostPort(values.reference, '--reference'),
  };
  if (values.help) return { ...base, target: { host: '', port: 0 }, help: true };
  if (positionals.length !== 1) throw new UsageError('give exactly one peer, HOST:PORT');
  return { ...base, target: parseHostPort(positionals[0]!, 'the peer'), help: false };
}
