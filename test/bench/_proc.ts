import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime
}

/** `measure` of every process of a node, by name (its CPU seconds, its peak RSS …). */
export function perProcess(
  pids: Record<string, number>,
  measure: (pid: number) => number,
): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, measure(pid)]));
}
