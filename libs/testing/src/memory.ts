import { readFileSync } from 'node:fs';

/**
 * What a process holds in memory, in MB, from Linux's /proc (all 0 when it is gone):
 *
 * - `rss`: resident now (VmRSS) — what `ps` and `top` show, and what the figures sum;
 * - `peak`: the most it was ever resident (VmHWM);
 * - `anon`: its private memory (RssAnon: the V8 heap, malloc, stacks);
 * - `file`: pages of files it maps (RssFile: the node binary's code, LMDB's database). Clean file
 *   pages are the kernel's page cache: shared with every process that maps the same file (all
 *   Node.js processes share one copy of the binary) and reclaimable under memory pressure;
 * - `pss`: its proportional share (Pss of smaps_rollup: private pages plus each shared page
 *   divided by the processes that map it), so the `pss` of processes add up to what they hold
 *   together, where `rss` counts a shared page once per process.
 */
export interface ProcessMemory {
  rss: number;
  peak: number;
  anon: number;
  file: number;
  pss: number;
}

const GONE: ProcessMemory = { rss: 0, peak: 0, anon: 0, file: 0, pss: 0 };

function kbField(text: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

export function processMemory(pid: number): ProcessMemory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    let pss = 0;
    try {
      pss = kbField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // smaps_rollup needs a newer kernel or the right to read it: leave the share at 0
    }
    return {
      rss: mb(kbField(status, 'VmRSS')),
      peak: mb(kbField(status, 'VmHWM')),
      anon: mb(kbField(status, 'RssAnon')),
      file: mb(kbField(status, 'RssFile')),
      pss: mb(pss),
    };
  } catch {
    return GONE;
  }
}
