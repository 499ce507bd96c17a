import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prettyFactory } from 'pino-pretty';

/** How often `--verbose` looks for new log lines; logs are for humans, a quarter second is live. */
const TAIL_INTERVAL_MS = 250;
/** Bytes read per file per tick, so a log burst cannot stall the progress view. */
const MAX_READ_BYTES = 256 * 1024;

/**
 * `--verbose`: follows every `*.log` in the log directory from its current end and prints new
 * lines through pino-pretty. The files stay the record; this is only a view of them.
 */
export function followLogs(dir: string, write: (text: string) => void): () => void {
  const pretty = prettyFactory({
    colorize: process.stderr.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,node',
    messageFormat: (log, messageKey) => `${String(log.service ?? '')}: ${String(log[messageKey] ?? '')}`,
  });
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  const buf = Buffer.alloc(MAX_READ_BYTES);
  // Files from an earlier run: only what is written from now on.
  if (existsSync(dir))
    for (const name of readdirSync(dir)) offsets.set(join(dir, name), statSync(join(dir, name)).size);

  const tick = () => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.log')) continue;
      const file = join(dir, name);
      const size = statSync(file).size;
      const from = offsets.get(file) ?? 0; // a file created after we started: from its start
      if (size < from) offsets.set(file, 0); // truncated
      if (size <= from) {
        offsets.set(file, Math.min(from, size));
        continue;
      }
      const fd = openSync(file, 'r');
      const n = readSync(fd, buf, 0, Math.min(MAX_READ_BYTES, size - from), from);
      closeSync(fd);
      offsets.set(file, from + n);
      const lines = ((partial.get(file) ?? '') + buf.subarray(0, n).toString('utf8')).split('\n');
      partial.set(file, lines.pop() ?? '');
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          write(pretty(JSON.parse(line) as object));
        } catch {
          write(`${name.replace(/\.log$/, '')}: ${line}\n`); // not pino (nats-server, node warnings)
        }
      }
    }
  };
  tick();
  const timer = setInterval(tick, TAIL_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    tick();
  };
}
