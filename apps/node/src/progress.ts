import cliProgress from 'cli-progress';

/** The parts of the api's `GET /status` the terminal view shows. */
export interface StatusView {
  name: string;
  height: number;
  tipHash: string | null;
  target: { height: number; hash: string | null } | null;
  /** The running sync (blocks staged of those it needs); the tip moves only when it ends. */
  progress?: { done: number; total: number } | null;
  phase: string;
  peers: number;
  blocksPerSecond: number;
  etaSeconds: number | null;
}

export interface BlockView {
  height: number;
  hash: string;
  minedBy: string;
  messages: string[];
  timestamp: number;
}

/** Synced: consensus says so and we hold the target (a first round must have found a chain). */
export function isSynced(s: StatusView): boolean {
  return s.phase === 'synced' && s.target !== null && s.height >= 0 && s.height >= s.target.height;
}

/**
 * What the progress bar counts: while a sync runs, the blocks it has staged of those it needs
 * (nothing is committed before its end); otherwise our chain's length vs the target's.
 */
export function progressOf(s: StatusView): { value: number; total: number } {
  if (s.phase === 'syncing' && s.progress) {
    return { value: s.progress.done, total: Math.max(1, s.progress.total, s.progress.done) };
  }
  const total = Math.max(s.target ? s.target.height + 1 : 0, s.height + 1, 1);
  return { value: Math.max(0, s.height + 1), total };
}

const short = (hash: string | null) => (hash ? `${hash.slice(0, 8)}…${hash.slice(-8)}` : '-');

export function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/** consensus' estimate; `-` until it has one. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** One line per new block once synced. */
export function blockLine(b: BlockView, s: Pick<StatusView, 'peers'>, now = Date.now()): string {
  const time = new Date(now).toISOString().slice(11, 19);
  const msgs = b.messages.length ? ` "${b.messages.join(' · ')}"` : '';
  return `${time}  block ${b.height}  ${short(b.hash)}  by ${b.minedBy}${msgs}  · ${s.peers} peers`;
}

/** A plain status line for terminals without a TTY (CI logs, pipes). */
export function plainLine(s: StatusView): string {
  const { value, total } = progressOf(s);
  return `${s.phase}: ${value}/${total} blocks, ${formatRate(s.blocksPerSecond)} blocks/s, ${s.peers} peers`;
}

/**
 * The terminal while syncing: a live bar (height / target, blocks/s, peers) on a TTY, a line
 * every few seconds otherwise. Output goes to `out` so tests can read it.
 */
export class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private lastPlain = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    /** A redrawn bar garbles other output (--verbose logs): then plain lines. */
    private readonly useBar = out.isTTY === true,
    private readonly plainEveryMs = 2_000,
  ) {}

  update(s: StatusView): void {
    const { value, total } = progressOf(s);
    const payload = {
      rate: formatRate(s.blocksPerSecond),
      peers: s.peers,
      phase: s.phase.padEnd(7),
      eta: formatEta(s.etaSeconds),
    };
    if (this.useBar) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            stream: this.out,
            format: '{phase} |{bar}| {value}/{total} blocks | {rate} blocks/s | {peers} peers | ETA {eta}',
            barsize: 30,
            hideCursor: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(total, value, payload);
      }
      this.bar.setTotal(total);
      this.bar.update(value, payload);
    } else if (Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.out.write(`${plainLine(s)}\n`);
    }
  }

  /** Ends the bar so plain lines can follow it. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  line(text: string): void {
    this.out.write(`${text}\n`);
  }
}
