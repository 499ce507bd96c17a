import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { blockReply, toBlock, validateBlock, type Block, type InvalidReason } from '@chainsync/protocol';
import { MAX_CHAIN_BLOCKS, MAX_CHAIN_LINE_BYTES } from './limits.js';

/**
 * Chain files: JSON lines, one GET_BLOCK_REPLY per line, genesis first. The same bytes a peer
 * sends, so a file can be served, diffed and checked with ordinary tools.
 */

/** The line for a block: exactly the GET_BLOCK_REPLY a devnet peer sends for it. */
export function blockLine(block: Block): string {
  return JSON.stringify(blockReply(block));
}

/** Writes blocks (an array or batches as they are mined) as a chain file; resolves once flushed. */
export async function writeChainFile(
  path: string,
  blocks: readonly Block[] | AsyncIterable<Block[]>,
): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  const write = async (batch: readonly Block[]) => {
    let text = '';
    for (const b of batch) text += blockLine(b) + '\n';
    count += batch.length;
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    if (Symbol.asyncIterator in blocks) {
      for await (const batch of blocks) await write(batch);
    } else {
      for (let i = 0; i < blocks.length; i += 1000) await write(blocks.slice(i, i + 1000));
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return count;
}

export type LineProblem = 'line_too_long' | 'not_utf8' | 'not_json' | 'too_many_blocks';
export type ChainFileProblem = LineProblem | InvalidReason | 'empty';

type Line = { index: number; value: unknown } | { index: number; problem: LineProblem };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's non-empty lines, parsed; a line that is too long, not UTF-8 or not JSON is reported, not thrown. */
async function* readLines(path: string): AsyncGenerator<Line> {
  let index = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const emit = (bytes: Buffer): Line | undefined => {
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) return undefined;
    const i = index++;
    if (i >= MAX_CHAIN_BLOCKS) return { index: i, problem: 'too_many_blocks' };
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return { index: i, problem: 'not_utf8' };
    }
    try {
      return { index: i, value: JSON.parse(text) };
    } catch {
      return { index: i, problem: 'not_json' };
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (line.length > MAX_CHAIN_LINE_BYTES) {
        yield { index: index++, problem: 'line_too_long' };
        return;
      }
      const out = emit(line);
      if (out) yield out;
      if (out && 'problem' in out) return;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_CHAIN_LINE_BYTES) {
        yield { index: index++, problem: 'line_too_long' };
        return;
      }
    }
  }
  if (pendingBytes > 0) {
    const out = emit(Buffer.concat(pending));
    if (out) yield out;
  }
}

type Checked = { ok: true; block: Block } | { ok: false; height: number; reason: ChainFileProblem };

/**
 * The file's blocks in order, each checked against the one before (linkage, hash, limits,
 * difficulty) and against its line index; stops after the first bad one, reporting it.
 */
async function* checkedBlocks(path: string, difficulty: number): AsyncGenerator<Checked> {
  let prev: string | null = null;
  let count = 0;
  for await (const line of readLines(path)) {
    const height = line.index;
    if ('problem' in line) return yield { ok: false, height, reason: line.problem };
    const verdict = validateBlock(line.value, prev, difficulty);
    // A well-typed block on the wrong line (a gap, a duplicate) is reported as such, not as a bad hash.
    const wellTyped = verdict.ok || verdict.reason !== 'wrong_types';
    if (wellTyped && (line.value as Block).height !== height)
      return yield { ok: false, height, reason: 'wrong_height' };
    if (!verdict.ok) return yield { ok: false, height, reason: verdict.reason };
    const block = toBlock(line.value as Block);
    prev = block.hash;
    count++;
    yield { ok: true, block };
  }
  if (count === 0) yield { ok: false, height: 0, reason: 'empty' };
}

export type VerifyResult =
  | { ok: true; blocks: number; tip: { height: number; hash: string } }
  | { ok: false; height: number; reason: ChainFileProblem; blocks: number };

/** Checks a chain file block by block and names the first bad height and the reason. */
export async function verifyChainFile(path: string, difficulty: number): Promise<VerifyResult> {
  let tip: Block | undefined;
  let count = 0;
  for await (const c of checkedBlocks(path, difficulty)) {
    if (!c.ok) return { ok: false, height: c.height, reason: c.reason, blocks: count };
    tip = c.block;
    count++;
  }
  return { ok: true, blocks: count, tip: { height: tip!.height, hash: tip!.hash } };
}

/**
 * Loads a chain file into memory, verified as by verifyChainFile (`difficulty` defaults to 0:
 * linkage and hashes only), so a damaged file is never served. Throws an error with code
 * `bad_chain_file` naming the first bad height.
 */
export async function readChainFile(path: string, opts: { difficulty?: number } = {}): Promise<Block[]> {
  const blocks: Block[] = [];
  for await (const c of checkedBlocks(path, opts.difficulty ?? 0)) {
    if (!c.ok) throw badFile(path, c.height, c.reason);
    blocks.push(c.block);
  }
  return blocks;
}

function badFile(path: string, height: number, reason: ChainFileProblem): Error {
  return Object.assign(new Error(`${path}: block at height ${height} is bad (${reason})`), {
    code: 'bad_chain_file',
    height,
    reason,
  });
}
