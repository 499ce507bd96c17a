import type { Logger } from '@chainsync/service-kit';
import type { ModeStats, Traffic } from './context.js';
import { REPORT_INTERVAL_MS } from './limits.js';
import type { HostileMode } from './registry.js';
import type { HostileHandle, HostileStats } from './start.js';

const minus = (a: Traffic, b: Traffic | undefined): Traffic => ({
  datagrams: a.datagrams - (b?.datagrams ?? 0),
  bytes: a.bytes - (b?.bytes ?? 0),
});

/** What a mode did between two snapshots: traffic both ways and the counters that moved. */
export function statsDelta(
  prev: ModeStats | undefined,
  now: ModeStats,
): { sent: Traffic; received: Traffic; counters: Record<string, number> } {
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(now.counters)) {
    const d = v - (prev?.counters[k] ?? 0);
    if (d !== 0) counters[k] = d;
  }
  return { sent: minus(now.sent, prev?.sent), received: minus(now.received, prev?.received), counters };
}

const line = (mode: string, sent: Traffic, received: Traffic) =>
  `hostile ${mode}: sent ${sent.datagrams} datagrams (${sent.bytes} B), got back ${received.datagrams} (${received.bytes} B)`;

/** Logs, about once a second, one line per mode that sent or received something since the last line. */
export function startReporter(
  handle: HostileHandle,
  log: Logger,
  intervalMs = REPORT_INTERVAL_MS,
): () => void {
  let prev: HostileStats = handle.stats();
  const timer = setInterval(() => {
    const now = handle.stats();
    for (const [mode, s] of Object.entries(now) as [HostileMode, ModeStats][]) {
      const d = statsDelta(prev[mode], s);
      if (d.sent.datagrams === 0 && d.received.datagrams === 0) continue;
      log.info({ mode, ...d, intervalMs }, line(mode, d.sent, d.received));
    }
    prev = now;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** One line per mode with its totals, for the end of a run. */
export function summarize(stats: HostileStats, log: Logger): void {
  for (const [mode, s] of Object.entries(stats) as [HostileMode, ModeStats][]) {
    log.info({ mode, ...s }, `${line(mode, s.sent, s.received)} in total`);
  }
}
