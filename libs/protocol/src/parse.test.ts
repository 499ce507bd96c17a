import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import {
  MAX_DATAGRAM_BYTES,
  MESSAGE_SCHEMAS,
  MAX_MESSAGE_CHARS,
  MAX_MESSAGE_ITEM_CHARS,
  MAX_MESSAGES,
  MAX_NONCE_CHARS,
  MAX_NONCE_PARSED_CHARS,
  checkMessage,
  parseDatagram,
  validateBlock,
  type ParseNotes,
  type ParseResult,
} from './index.js';

const parse = (v: unknown): ParseResult =>
  parseDatagram(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));
const block = {
  height: 2155,
  minedBy: 'Nico Rosberg',
  nonce: '146424285',
  messages: ['Jihan', 'Park', 'Mirha'],
  hash: '6a90cf4e2ac46dd0f3b59e8a99673b4e800f08ac96731e1c35c2972900000000',
  timestamp: 1733103931,
};

describe('parseDatagram', () => {
  it('accepts every message type of the spec, ignoring unknown fields', () => {
    const good = [
      { type: 'GOSSIP', host: '127.0.0.1', port: 8999, id: 'abc', name: 'n' },
      { type: 'GOSSIP_REPLY', host: '127.0.0.1', port: 8001, name: 'n' },
      { type: 'STATS', consensus: true },
      { type: 'STATS_REPLY', height: 2, hash: block.hash },
      { type: 'GET_BLOCK', height: 0 },
      { type: 'GET_BLOCK_REPLY', ...block },
      { type: 'ANNOUNCE', ...block },
      { type: 'CONSENSUS' },
      { type: 'NEW_WORD', word: 'hi' },
    ];
    for (const m of good) {
      const r = parse(m);
      expect(r.ok, JSON.stringify(m)).toBe(true);
      if (r.ok) expect(r.msg.type).toBe(m.type);
    }
  });

  it('accepts the GOSSIP-REPLY spelling as GOSSIP_REPLY', () => {
    const notes = { exact: true, stripped: true };
    const r = checkMessage({ type: 'GOSSIP-REPLY', host: 'h', port: 1, name: 'n' }, notes);
    expect(r).toEqual({ ok: true, msg: { type: 'GOSSIP_REPLY', host: 'h', port: 1, name: 'n' } });
    // The datagram's text says GOSSIP-REPLY: it cannot be relayed as it came.
    expect(notes).toEqual({ exact: false, stripped: false });
  });

  it('keeps only the fields it understood (a fresh object when it dropped some), and notes what it dropped', () => {
    const notes: ParseNotes = { exact: true, stripped: false };
    const input = { type: 'STATS', x: [1e20, 1e20], consensus: true };
    expect(checkMessage(input, notes)).toEqual({ ok: true, msg: { type: 'STATS' } });
    expect(notes).toEqual({ exact: false, stripped: true });
    expect(input.x).toHaveLength(2); // the input is left alone
    const reply = { type: 'GET_BLOCK_REPLY', ...block };
    const extra = { ...reply, prevHash: 'b'.repeat(64), __proto__: 1 } as never;
    const stripped = checkMessage(extra, notes);
    expect(stripped).toEqual({ ok: true, msg: reply });
    expect(stripped.ok && stripped.msg).not.toBe(extra);
    expect(notes).toEqual({ exact: false, stripped: true });
    const exact = checkMessage(reply, notes);
    expect(exact).toEqual({ ok: true, msg: reply });
    expect(notes).toEqual({ exact: true, stripped: false });
    expect(exact.ok && exact.msg).toBe(reply); // exactly the fields: used as it is, no copy
    const pad = Buffer.from(JSON.stringify({ type: 'GET_BLOCK', height: 3, pad: 'x'.repeat(10_000) }));
    expect(parseDatagram(pad, notes)).toEqual({ ok: true, msg: { type: 'GET_BLOCK', height: 3 } });
    expect(notes).toEqual({ exact: false, stripped: true });
    parseDatagram(Buffer.from('{"type":"GET_BLOCK","height":3}'), notes);
    expect(notes).toEqual({ exact: true, stripped: false });
    parseDatagram(Buffer.from('{"type":"GET_BLOCK_REPLY","height":3}'), notes); // normalised
    expect(notes).toEqual({ exact: false, stripped: false });
    parseDatagram(Buffer.from('{"type":"GET_BLOCK","height":-3}'), notes); // refused
    expect(notes).toEqual({ exact: false, stripped: false });
  });

  it('bounds every string field of every message type', () => {
    const unbounded: string[] = [];
    const walk = (schema: TSchema, path: string) => {
      if (
        schema.type === 'string' &&
        [schema.maxLength, schema.pattern, schema.const].every((b) => b === undefined)
      )
        unbounded.push(path);
      if (schema.type === 'array') {
        if (schema.maxItems === undefined) unbounded.push(`${path}[]`);
        walk(schema.items as TSchema, `${path}[]`);
      }
      for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>))
        walk(v, `${path}.${k}`);
    };
    for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS)) walk(schema, type);
    expect(unbounded).toEqual([]);
  });

  it('parses every valid block, and blocks that break a rule by a little, so the validator names the rule', () => {
    const astral = '😀'.repeat(MAX_MESSAGE_CHARS); // 20 code points, 40 UTF-16 units
    const longest = {
      ...block,
      messages: Array.from({ length: MAX_MESSAGES }, () => astral),
      nonce: '😀'.repeat(MAX_NONCE_CHARS),
    };
    expect(parse({ type: 'GET_BLOCK_REPLY', ...longest })).toMatchObject({ ok: true, msg: longest });
    const verdictOf = (b: object) => {
      const r = parse({ type: 'ANNOUNCE', ...b });
      if (!r.ok) throw new Error(r.reason);
      return validateBlock({ ...r.msg, type: undefined }, null, 0);
    };
    expect(verdictOf({ ...block, messages: ['x'.repeat(MAX_MESSAGE_ITEM_CHARS)] })).toEqual({
      ok: false,
      reason: 'message_too_long',
    });
    expect(verdictOf({ ...block, nonce: 'x'.repeat(MAX_NONCE_PARSED_CHARS) })).toEqual({
      ok: false,
      reason: 'nonce_too_long',
    });
    expect(verdictOf({ ...block, messages: Array.from({ length: 64 }, () => 'x') })).toEqual({
      ok: false,
      reason: 'too_many_messages',
    });
    // Past the parse bounds: refused (ANNOUNCE) or read as "no such block" (GET_BLOCK_REPLY).
    expect(parse({ type: 'ANNOUNCE', ...block, messages: ['x'.repeat(MAX_MESSAGE_ITEM_CHARS + 1)] })).toEqual(
      {
        ok: false,
        reason: 'bad_schema:messages',
      },
    );
    expect(parse({ type: 'ANNOUNCE', ...block, nonce: 'x'.repeat(MAX_NONCE_PARSED_CHARS + 1) })).toEqual({
      ok: false,
      reason: 'bad_schema:nonce',
    });
    const tooLong = parse({
      type: 'GET_BLOCK_REPLY',
      ...block,
      messages: ['x'.repeat(MAX_MESSAGE_ITEM_CHARS + 1)],
    });
    expect(tooLong).toMatchObject({ ok: true, msg: { hash: null } });
  });

  it('normalises every dialect of the unknown-height reply to the null reply', () => {
    const dialects = [
      {
        type: 'GET_BLOCK_REPLY',
        height: null,
        hash: null,
        minedBy: null,
        messages: null,
        nonce: null,
        timestamp: null,
      },
      {
        type: 'GET_BLOCK_REPLY',
        height: 7,
        hash: null,
        minedBy: null,
        messages: null,
        nonce: null,
        timestamp: null,
      },
      {
        type: 'GET_BLOCK_REPLY',
        height: 'None',
        hash: 'None',
        minedBy: 'None',
        messages: 'None',
        nonce: 'None',
        timestamp: 'None',
      },
      { type: 'GET_BLOCK_REPLY' },
    ];
    const heights = dialects.map((d) => {
      const r = parse(d);
      expect(r.ok).toBe(true);
      if (!r.ok || r.msg.type !== 'GET_BLOCK_REPLY') throw new Error('unexpected');
      expect(r.msg.hash).toBeNull();
      return r.msg.height;
    });
    expect(heights).toEqual([null, 7, null, null]);
  });

  it('names the reason for each kind of bad input', () => {
    expect(parseDatagram(Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 32))).toEqual({
      ok: false,
      reason: 'too_large',
    });
    expect(parse('{"type":')).toEqual({ ok: false, reason: 'not_json' });
    expect(parseDatagram(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, reason: 'not_json' });
    expect(parse([1, 2])).toEqual({ ok: false, reason: 'bad_schema:type' });
    expect(parse({ hello: 1 })).toEqual({ ok: false, reason: 'bad_schema:type' });
    expect(parse({ type: 'PING' })).toEqual({ ok: false, reason: 'unknown_type' });
    expect(parse({ type: 'constructor' })).toEqual({ ok: false, reason: 'unknown_type' });
    expect(parse({ type: 'GET_BLOCK', height: -1 })).toEqual({ ok: false, reason: 'bad_schema:height' });
    expect(parse({ type: 'GET_BLOCK', height: 1e300 })).toEqual({ ok: false, reason: 'bad_schema:height' });
    expect(parse({ type: 'GOSSIP', host: 'h', port: '1', id: 'x', name: 'n' })).toEqual({
      ok: false,
      reason: 'bad_schema:port',
    });
    expect(parse({ type: 'STATS_REPLY', height: 2, hash: 'ABC' })).toEqual({
      ok: false,
      reason: 'bad_schema:hash',
    });
    expect(parse({ type: 'ANNOUNCE', ...block, timestamp: undefined })).toEqual({
      ok: false,
      reason: 'bad_schema:timestamp',
    });
  });
});

describe('parseDatagram fuzz', () => {
  const valid = JSON.stringify({ type: 'GET_BLOCK_REPLY', ...block });
  const generators: (() => Buffer)[] = [
    () => randomBytes(Math.floor(Math.random() * 2048)),
    () => Buffer.from(valid.slice(0, Math.floor(Math.random() * valid.length))),
    () =>
      Buffer.from(
        JSON.stringify(Array.from({ length: Math.floor(Math.random() * 50) }, () => Math.random())),
      ),
    () => Buffer.from(`{"type":"GET_BLOCK","height":${'9'.repeat(1 + Math.floor(Math.random() * 400))}}`),
    () => {
      const depth = 1 + Math.floor(Math.random() * 5000);
      return Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    },
    () => Buffer.from(`{"type":"STATS_REPLY","x":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`),
    () => {
      const obj: Record<string, unknown> = { type: 'GET_BLOCK_REPLY', ...block };
      const keys = Object.keys(obj);
      const key = keys[Math.floor(Math.random() * keys.length)]!;
      const junk = [null, true, -1, 1.5, 2 ** 64, '', 'x'.repeat(300), [], {}, [1], { a: 1 }];
      obj[key] = junk[Math.floor(Math.random() * junk.length)];
      return Buffer.from(JSON.stringify(obj));
    },
    () => {
      const types = [
        'GOSSIP',
        'GOSSIP_REPLY',
        'STATS',
        'STATS_REPLY',
        'GET_BLOCK',
        'ANNOUNCE',
        'CONSENSUS',
        '__proto__',
        'toString',
      ];
      const t = types[Math.floor(Math.random() * types.length)];
      return Buffer.from(
        `{"type":"${t}","height":${Math.random() < 0.5 ? -5 : '"1"'},"port":1e9,"host":[],"id":{}}`,
      );
    },
    () => Buffer.alloc(64 * 1024, 0x7b),
    () => {
      const b = Buffer.from(valid);
      b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
      return b;
    },
  ];

  it('never throws on 12 000 random and malformed inputs', () => {
    const counts = { ok: 0, dropped: 0 };
    for (let i = 0; i < 12_000; i++) {
      const input = generators[i % generators.length]!();
      const r = parseDatagram(input);
      if (r.ok) counts.ok++;
      else {
        counts.dropped++;
        expect(r.reason).toMatch(/^(too_large|not_json|unknown_type|bad_schema:[\w$]+)$/);
      }
    }
    expect(counts.ok + counts.dropped).toBe(12_000);
    expect(counts.dropped).toBeGreaterThan(9_000);
  });
});
