import { MAX_PROBED_SERVICES } from './limits.js';

export interface ProbeTarget {
  name: string;
  url: string;
}

/** One `name=url` entry of SERVICE_READYZ; used as the config pattern so a bad list exits 2. */
const ENTRY = '[A-Za-z0-9_.-]+=https?://[^,\\s=]+';
export const SERVICE_URLS_PATTERN = `^(none|${ENTRY}(,${ENTRY})*)$`;

/**
 * Parses `gossip=http://127.0.0.1:9101/readyz,consensus=…` into probe targets (`none` = no probes).
 * The string has already passed SERVICE_URLS_PATTERN; duplicates keep the first entry.
 */
export function parseServiceUrls(list: string): ProbeTarget[] {
  if (list === 'none') return [];
  const targets: ProbeTarget[] = [];
  for (const entry of list.split(',')) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    if (targets.some((t) => t.name === name)) continue;
    targets.push({ name, url: entry.slice(eq + 1) });
    if (targets.length >= MAX_PROBED_SERVICES) break;
  }
  return targets;
}

/** The default list: every service of one node on its default ops port on this host. */
export const DEFAULT_SERVICE_URLS = [
  'gossip=http://127.0.0.1:9101/readyz',
  'consensus=http://127.0.0.1:9102/readyz',
  'validator=http://127.0.0.1:9103/readyz',
  'chain-store=http://127.0.0.1:9104/readyz',
].join(',');
