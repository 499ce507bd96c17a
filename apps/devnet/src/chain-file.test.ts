import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '@chainsync/protocol';
import { blockLine, readChainFile, verifyChainFile, writeChainFile } from './chain-file.js';
import { generateChain } from './generate.js';

describe('chain files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chain-file-'));
  let chain: Block[];
  let good: string;
  let lines: string[];
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    chain = await generateChain({ blocks: 25, difficulty: 2, seed: 'file' });
    good = join(dir, 'good.jsonl');
    expect(await writeChainFile(good, chain)).toBe(25);
    lines = readFileSync(good, 'utf8').trimEnd().split('\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one GET_BLOCK_REPLY per line, genesis first, and reads it back', async () => {
    expect(lines).toHaveLength(25);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'GET_BLOCK_REPLY', height: 0 });
    expect(await readChainFile(good, { difficulty: 2 })).toEqual(chain);
    expect(await verifyChainFile(good, 2)).toEqual({
      ok: true,
      blocks: 25,
      tip: { height: 24, hash: chain[24]!.hash },
    });
  });

  it('writes batches from an async source the same way', async () => {
    async function* batches() {
      yield chain.slice(0, 10);
      yield chain.slice(10);
    }
    const p = join(dir, 'batches.jsonl');
    await writeChainFile(p, batches());
    expect(readFileSync(p, 'utf8')).toBe(readFileSync(good, 'utf8'));
  });

  it('names the first bad height and the reason', async () => {
    const tampered = lines.slice();
    const b = JSON.parse(tampered[7]!);
    b.messages = [...b.messages, 'extra'];
    tampered[7] = JSON.stringify(b);
    const cases: [string, string, number, string][] = [
      ['tampered', tampered.join('\n'), 7, 'wrong_hash'],
      ['not-json', [...lines.slice(0, 3), '{"type": nope', ...lines.slice(4)].join('\n'), 3, 'not_json'],
      ['skipped', [...lines.slice(0, 5), ...lines.slice(6)].join('\n'), 5, 'wrong_height'],
      ['shape', [...lines.slice(0, 2), '{"height":2}'].join('\n'), 2, 'wrong_types'],
      ['long', [lines[0], 'x'.repeat(70_000)].join('\n'), 1, 'line_too_long'],
      ['empty', '\n\n', 0, 'empty'],
    ];
    for (const [name, text, height, reason] of cases) {
      expect(await verifyChainFile(file(`${name}.jsonl`, text), 2), name).toMatchObject({
        ok: false,
        height,
        reason,
      });
    }
    expect(await verifyChainFile(good, 4)).toMatchObject({
      ok: false,
      height: expect.any(Number),
      reason: 'insufficient_work',
    });
    const wrongHeight = chain
      .map((blk) => blockLine(blk))
      .join('\n')
      .replace('"height":4,', '"height":40,');
    expect(await verifyChainFile(file('height.jsonl', wrongHeight), 2)).toMatchObject({
      ok: false,
      height: 4,
    });
    await expect(readChainFile(join(dir, 'tampered.jsonl'))).rejects.toMatchObject({
      code: 'bad_chain_file',
      height: 7,
    });
  });

  it('accepts CRLF line ends and a missing final newline', async () => {
    const p = file('crlf.jsonl', lines.join('\r\n'));
    expect(await verifyChainFile(p, 2)).toMatchObject({ ok: true, blocks: 25 });
  });
});
