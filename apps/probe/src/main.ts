import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import cliProgress from 'cli-progress';
import type { PeerAddr } from '@chainsync/protocol';
import { USAGE, UsageError, parseProbeArgs } from './args.js';
import { runProbe } from './probe.js';
import { exitCode, renderText } from './report.js';

/**
 * `npm run probe -- HOST:PORT [options]`: checks one peer against the protocol. Names are
 * resolved here, once, and only the ones the user typed; everything after uses the address.
 */
async function resolve(a: PeerAddr): Promise<PeerAddr> {
  if (isIPv4(a.host)) return a;
  const { address } = await lookup(a.host, { family: 4 });
  return { host: address, port: a.port };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseProbeArgs(process.argv.slice(2));
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!(err instanceof UsageError) && !e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    console.error(`error: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const target = await resolve(args.target);
  const reference = args.reference && (await resolve(args.reference));
  // What the probe is about to do goes to stderr with --json, so stdout stays one JSON document.
  const say = (line: string) => (args.json ? console.error(line) : console.log(line));
  const bar =
    args.full && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: 'blocks {bar} {value}/{total} {percentage}% · eta {eta_formatted}',
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const report = await runProbe({
    target,
    reference,
    difficulty: args.difficulty,
    full: args.full,
    robustness: args.robustness,
    gossip: args.gossip,
    ratePerS: args.ratePerS,
    advertiseHost: args.advertiseHost,
    say,
    progress: bar
      ? (done, total) => {
          if (done === 0) bar.start(total, 0);
          else bar.update(done);
          if (done >= total) bar.stop();
        }
      : undefined,
  });
  bar?.stop();
  console.log(args.json ? JSON.stringify(report, null, 2) : renderText(report, process.stdout.isTTY));
  return exitCode(report);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${(err as Error).message ?? String(err)}`);
    process.exitCode = 1;
  },
);
