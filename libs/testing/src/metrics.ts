/**
 * Scrapes a service's `/metrics` once and returns a reader: the sum of every sample whose line
 * starts with `prefix` (a metric name, or a name with the start of its labels, e.g.
 * `chainsync_consensus_announces_total{result="appended"`), 0 when none does.
 */
export async function scrapeMetrics(opsPort: number): Promise<(prefix: string) => number> {
  const lines = (await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()).split('\n');
  return (prefix) =>
    lines.filter((l) => l.startsWith(prefix)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}
