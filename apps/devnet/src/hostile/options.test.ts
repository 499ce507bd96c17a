import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveKnobs } from './knobs.js';
import {
  HOSTILE_MODES,
  modeDefinition,
  parseHostileKnobs,
  parseHostileModes,
  type KnobsOf,
} from './registry.js';

describe('parseHostileModes', () => {
  it('takes all, or a list (each once, in order)', () => {
    expect(parseHostileModes('all')).toEqual(HOSTILE_MODES);
    expect(parseHostileModes('slow, tall-claims,slow')).toEqual(['slow', 'tall-claims']);
    expect(HOSTILE_MODES).toHaveLength(13);
  });

  it('refuses unknown modes and an empty list', () => {
    expect(() => parseHostileModes('slow,nope')).toThrow(/unknown hostile mode "nope"/);
    expect(() => parseHostileModes('')).toThrow(/needs a mode/);
  });
});

describe('parseHostileKnobs', () => {
  it('sets MODE.KEY on one mode and a bare KEY on every running mode that has it', () => {
    const knobs = parseHostileKnobs('tall-claims.blocks=relabel,sockets=3,delayMs=1.5s,rate=50', [
      'tall-claims',
      'slow',
      'get-block-flood',
    ]);
    expect(knobs).toEqual({
      'tall-claims': { blocks: 'relabel', sockets: 3 },
      slow: { sockets: 3, delayMs: 1500 },
      'get-block-flood': { sockets: 3, rate: 50 },
    });
  });

  it('refuses keys no running mode has, modes not running, and values that are not numbers', () => {
    expect(() => parseHostileKnobs('heights=same', ['slow'])).toThrow(/no running hostile mode/);
    expect(() => parseHostileKnobs('tall-claims.sockets=2', ['slow'])).toThrow(/not running/);
    expect(() => parseHostileKnobs('sockets=many', ['slow'])).toThrow(/not a number/);
    expect(() => parseHostileKnobs('delayMs=soon', ['slow'])).toThrow(/not a duration/);
    expect(() => parseHostileKnobs('sockets', ['slow'])).toThrow(/KEY=VALUE/);
  });
});

describe('resolveKnobs', () => {
  const tall = modeDefinition('tall-claims');

  it('fills defaults and keeps given values in range', () => {
    const k = resolveKnobs('tall-claims', tall.knobs, { blocks: 'null' }) as KnobsOf<'tall-claims'>;
    expect(k).toEqual({ sockets: 8, height: 1_000_000_000, heights: 'same', blocks: 'null', pushMs: 100 });
  });

  it('refuses values out of range, unknown choices and unknown keys', () => {
    expect(() => resolveKnobs('tall-claims', tall.knobs, { sockets: 0 })).toThrow(
      /sockets must be an integer in 1\.\.256/,
    );
    expect(() => resolveKnobs('tall-claims', tall.knobs, { sockets: 1.5 })).toThrow(/integer/);
    expect(() => resolveKnobs('tall-claims', tall.knobs, { blocks: 'all' })).toThrow(/none\|null\|relabel/);
    expect(() => resolveKnobs('tall-claims', tall.knobs, { rate: 5 })).toThrow(/has no option "rate"/);
  });

  it('gives every knob of every mode a default inside its own range', () => {
    for (const m of HOSTILE_MODES) {
      const { knobs } = modeDefinition(m);
      const defaults = Object.fromEntries(Object.entries(knobs).map(([k, spec]) => [k, spec.default]));
      expect(resolveKnobs(m, knobs, defaults)).toEqual(defaults);
    }
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it.each(HOSTILE_MODES)('documents %s: a row naming each of its knobs and counters', (mode) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${mode}\` |`));
    expect(row, `a table row for ${mode}`).toBeDefined();
    const { knobs, counters } = modeDefinition(mode);
    for (const name of [...Object.keys(knobs), ...counters]) expect(row).toContain(`\`${name}\``);
  });
});
