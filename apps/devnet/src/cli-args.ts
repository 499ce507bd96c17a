/** Small helpers for the two CLIs: typed numbers from parseArgs strings, and a usage error with exit code 2. */

export class UsageError extends Error {
  readonly code = 'usage';
}

export function intArg(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max} (got "${value}")`);
  }
  return n;
}

/** `50ms`, `1.5s` or a bare number of ms (fractions allowed) as whole ms; NaN when it is none of these. */
export function parseDurationMs(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text ?? '');
  return m ? Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1)) : NaN;
}

/** Seconds (fractions allowed) as milliseconds. */
export function secondsArg(name: string, value: string | undefined, minMs: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value) * 1000;
  if (value.trim() === '' || !Number.isFinite(ms) || ms < minMs) {
    throw new UsageError(`--${name} must be a number of seconds ≥ ${minMs / 1000} (got "${value}")`);
  }
  return ms;
}

export function required<T>(name: string, value: T | undefined): T {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** Errors that mean "the arguments are wrong" (exit 2), as opposed to a failure while running (exit 1). */
const USAGE_CODES = new Set([
  'usage',
  'bad_fault',
  'bad_address',
  'bad_devnet_options',
  'bad_generate_options',
  'bad_hostile_options',
]);

/** Runs a CLI body: usage errors print the message and usage and exit 2; other errors exit 1. */
export async function runCli(usage: string, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    const e = err as Error & { code?: string };
    const isUsage = USAGE_CODES.has(e.code ?? '') || (e.code ?? '').startsWith('ERR_PARSE_ARGS');
    console.error(`error: ${e.message}`);
    if (isUsage) console.error(usage);
    process.exitCode = isUsage ? 2 : 1;
  }
}
