import { parseArgs } from 'node:util';
import { readChainFile, verifyChainFile, writeChainFile } from './chain-file.js';
import { UsageError, intArg, required, runCli } from './cli-args.js';
import { DEFAULT_SEED, mineChain } from './generate.js';
import { MAX_CHAIN_BLOCKS, MAX_DEVNET_DIFFICULTY } from './limits.js';

const USAGE = `usage:
  npm run chain -- generate --blocks N --difficulty D [--seed S] [--base FILE --fork-at H] --out FILE
      Mines a valid N-block chain (genesis at height 0) into FILE as JSON lines, one
      GET_BLOCK_REPLY per line. Same seed, same chain. With --base/--fork-at: copies blocks
      0..H-1 of the base chain and mines a different continuation from height H.
  npm run chain -- verify FILE --difficulty D
      Checks FILE block by block; names the first bad height and the reason (exit 1).`;

function seconds(startMs: number): string {
  return ((performance.now() - startMs) / 1000).toFixed(2);
}

async function generate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      blocks: { type: 'string' },
      difficulty: { type: 'string' },
      seed: { type: 'string', default: DEFAULT_SEED },
      base: { type: 'string' },
      'fork-at': { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const blocks = required('blocks', intArg('blocks', values.blocks, 1, MAX_CHAIN_BLOCKS));
  const difficulty = required(
    'difficulty',
    intArg('difficulty', values.difficulty, 0, MAX_DEVNET_DIFFICULTY),
  );
  const out = required('out', values.out);
  const forkAt = intArg('fork-at', values['fork-at'], 0, MAX_CHAIN_BLOCKS);
  if ((values.base === undefined) !== (forkAt === undefined))
    throw new UsageError('--base and --fork-at go together');
  const base = values.base === undefined ? undefined : await readChainFile(values.base);

  const start = performance.now();
  const written = await writeChainFile(
    out,
    mineChain({ blocks, difficulty, seed: values.seed, base, forkAt }),
  );
  console.log(
    `generated ${written} blocks (difficulty ${difficulty}, seed ${values.seed}${base ? `, fork at ${forkAt}` : ''}) into ${out} in ${seconds(start)} s`,
  );
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { difficulty: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('verify takes one FILE');
  const file = positionals[0]!;
  const difficulty = required(
    'difficulty',
    intArg('difficulty', values.difficulty, 0, MAX_DEVNET_DIFFICULTY),
  );
  const start = performance.now();
  const result = await verifyChainFile(file, difficulty);
  if (result.ok) {
    console.log(
      `verified ${result.blocks} blocks of ${file} (difficulty ${difficulty}) in ${seconds(start)} s: ok, tip ${result.tip.height} ${result.tip.hash}`,
    );
    return 0;
  }
  console.log(
    `${file}: bad block at height ${result.height}: ${result.reason} (${result.blocks} blocks before it are valid; checked in ${seconds(start)} s)`,
  );
  return 1;
}

await runCli(USAGE, async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === '--help' || command === 'help' || rest.includes('--help')) {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'generate') return generate(rest);
  if (command === 'verify') return verify(rest);
  throw new UsageError(`unknown command "${command}"`);
});
