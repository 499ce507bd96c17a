import { describe, expect, it } from 'vitest';
import { displayName } from './display-name.js';
import { PEER_NAME_MAX_CODE_POINTS } from './limits.js';

describe('displayName', () => {
  it('keeps printable names as they are', () => {
    expect(displayName('Nico Rosberg')).toBe('Nico Rosberg');
    expect(displayName('naïve ☃ 😀')).toBe('naïve ☃ 😀');
  });

  it('removes control, format and separator characters and lone surrogates', () => {
    expect(displayName('a\u0000b\u001b[31mc\u007f\u0085d\n\t')).toBe('ab[31mcd');
    expect(displayName('\u202eevil\u2066\u200b\u2028x\ud800')).toBe('evilx');
  });

  it('cuts to the bound in code points, never splitting a surrogate pair', () => {
    expect(displayName('x'.repeat(256))).toHaveLength(PEER_NAME_MAX_CODE_POINTS);
    const emoji = displayName('😀'.repeat(100));
    expect([...emoji]).toHaveLength(PEER_NAME_MAX_CODE_POINTS);
    expect(emoji).toBe('😀'.repeat(PEER_NAME_MAX_CODE_POINTS));
    expect(displayName('\u0001'.repeat(256))).toBe('');
  });
});
