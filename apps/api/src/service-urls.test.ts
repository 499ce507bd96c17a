import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_SERVICE_URLS, parseServiceUrls, SERVICE_URLS_PATTERN } from './service-urls.js';

const valid = (s: string) => Value.Check(Type.String({ pattern: SERVICE_URLS_PATTERN }), s);

describe('SERVICE_READYZ', () => {
  it('parses name=url pairs and keeps the first of a duplicate name', () => {
    expect(
      parseServiceUrls('gossip=http://g:9101/readyz,api=https://a/readyz,gossip=http://x/readyz'),
    ).toEqual([
      { name: 'gossip', url: 'http://g:9101/readyz' },
      { name: 'api', url: 'https://a/readyz' },
    ]);
    expect(parseServiceUrls('none')).toEqual([]);
  });

  it('the pattern accepts the default and rejects malformed lists', () => {
    expect(valid(DEFAULT_SERVICE_URLS)).toBe(true);
    expect(valid('none')).toBe(true);
    expect(valid('gossip=ftp://g/readyz')).toBe(false);
    expect(valid('gossip')).toBe(false);
    expect(valid('gossip=http://g/readyz,')).toBe(false);
    expect(valid('a b=http://g/readyz')).toBe(false);
  });
});
