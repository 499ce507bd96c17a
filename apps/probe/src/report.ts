import { safeText } from './wire.js';

export type Status = 'pass' | 'warn' | 'fail' | 'skip';

/**
 * Every check, in report order, with what it checks and the section of docs/protocol.md that
 * says so. One id per check, the same in the text report, the JSON and the tests.
 */
export const CHECKS = {
  'stats.reply': { title: 'STATS answered with a well-formed STATS_REPLY', spec: '§2, §2.1' },
  'stats.convention': {
    title: 'the claimed hash is served at height−1 (length) or height (top index)',
    spec: '§2.1, §7 #1',
  },
  'get_block.genesis': { title: 'GET_BLOCK 0 answered with block 0', spec: '§2, §4' },
  'get_block.top': { title: 'GET_BLOCK at the top answered with the top block', spec: '§2' },
  'get_block.above_top': {
    title: 'GET_BLOCK above the top: the null reply, all six fields null',
    spec: '§2.1, §7 #2',
  },
  'get_block.bad_heights': {
    title: 'GET_BLOCK at bad heights (−1, 1.5, "1", null, none, 2^53, 2^31−1): never a block',
    spec: '§1, §9',
  },
  'blocks.valid': { title: 'served blocks: shape, hash, work, limits, link to parent', spec: '§4' },
  'blocks.reference': { title: 'the same chain as the reference peer', spec: '§5' },
  'gossip.reply': { title: 'GOSSIP answered with GOSSIP_REPLY at the host:port inside it', spec: '§3 (2)' },
  'gossip.forward': { title: 'GOSSIP forwarded unchanged to tracked peers', spec: '§3 (3)' },
  'gossip.duplicate': { title: 'a seen GOSSIP id is dropped: no reply, no forward', spec: '§3 (1), §7 #4' },
  'consensus.stats': { title: 'STATS answered while a CONSENSUS round runs', spec: '§5' },
  'announce.invalid': { title: 'an invalid ANNOUNCE is not taken', spec: '§5 ANNOUNCE' },
  'announce.valid': { title: 'a valid ANNOUNCE on the tip is taken', spec: '§5 ANNOUNCE' },
  'replies.loss': { title: 'replies lost', spec: '§1, §5' },
  'replies.time': { title: 'reply times', spec: '§5' },
  'robustness.malformed': {
    title: 'malformed datagrams are dropped and the peer still answers',
    spec: '§1 Bad input, §9',
  },
} as const satisfies Record<string, { title: string; spec: string }>;

export type CheckId = keyof typeof CHECKS;
export const CHECK_IDS = Object.keys(CHECKS) as CheckId[];

export interface CheckResult {
  id: CheckId;
  status: Status;
  /** What the probe sent, in short. */
  sent: string;
  /** What came back, in short (terminal-safe). */
  got: string;
  /** Why it is not a pass, or what is worth knowing. */
  detail?: string;
}

export interface ProbeReport {
  target: string;
  reference: string | null;
  difficulty: number;
  /** The probe's own address and how many sockets it used. */
  from: string;
  sockets: number;
  full: boolean;
  robustness: boolean;
  startedAt: string;
  durationMs: number;
  datagrams: { sent: number; received: number; bytesSent: number; bytesReceived: number };
  checks: (CheckResult & { title: string; spec: string })[];
  summary: Record<Status, number>;
}

export const check = (
  id: CheckId,
  status: Status,
  sent: string,
  got: string,
  detail?: string,
): CheckResult => (detail === undefined ? { id, status, sent, got } : { id, status, sent, got, detail });

export const skip = (id: CheckId, why: string): CheckResult => check(id, 'skip', '–', '–', why);

/** The results in catalogue order, each with its title and spec section, and the counts. */
export function assemble(results: readonly CheckResult[]): Pick<ProbeReport, 'checks' | 'summary'> {
  const byId = new Map(results.map((r) => [r.id, r]));
  const checks = CHECK_IDS.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ ...r, ...CHECKS[id] }] : [];
  });
  const summary: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { checks, summary };
}

/** 0 when nothing failed (warnings and skips do not fail a peer), 1 otherwise. */
export const exitCode = (r: Pick<ProbeReport, 'summary'>): 0 | 1 => (r.summary.fail > 0 ? 1 : 0);

const COLORS: Record<Status, string> = {
  pass: '\x1b[32m',
  warn: '\x1b[33m',
  fail: '\x1b[31m',
  skip: '\x1b[90m',
};
const RESET = '\x1b[0m';

/** One line per check (status, id, spec section, sent → got), its detail below it, then a summary. */
export function renderText(r: ProbeReport, color = false): string {
  const idWidth = Math.max(...r.checks.map((c) => c.id.length));
  const specWidth = Math.max(...r.checks.map((c) => c.spec.length));
  const lines: string[] = [];
  for (const c of r.checks) {
    const label = c.status.toUpperCase().padEnd(4);
    const status = color ? `${COLORS[c.status]}${label}${RESET}` : label;
    // A skipped check sent nothing worth showing: its reason takes the line.
    const io =
      c.status === 'skip' ? `  (${safeText(c.detail ?? '')})` : `  ${safeText(c.sent)} → ${safeText(c.got)}`;
    lines.push(`${status}  ${c.id.padEnd(idWidth)}  ${c.spec.padEnd(specWidth)}${io}`);
    if (c.detail && c.status !== 'skip') lines.push(`${' '.repeat(6 + idWidth + 2)}${safeText(c.detail)}`);
  }
  const s = r.summary;
  const seconds = (r.durationMs / 1000).toFixed(1);
  const d = r.datagrams;
  lines.push(
    '',
    `${r.target}: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skipped in ${seconds} s ` +
      `(${d.sent} datagrams sent, ${d.received} received)`,
  );
  return lines.join('\n');
}
