import { UsageError } from './run-options.js';

/**
 * A command's flags, parsed: a usage error prints it with the usage and exits 2; `--help` prints
 * the usage and gives undefined (the command then returns).
 */
export function parseOrExit<T>(
  command: string,
  usage: string,
  parse: () => { help: true } | { help: false; options: T },
): T | undefined {
  let parsed;
  try {
    parsed = parse();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`chainsync ${command}: ${err.message}\n\n${usage}`);
      process.exit(2);
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(usage);
    return undefined;
  }
  return parsed.options;
}
