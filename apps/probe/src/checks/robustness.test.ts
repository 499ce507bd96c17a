import { describe, expect, it } from 'vitest';
import { parseDatagram } from '@chainsync/protocol';
import { json } from '../testing/chain.js';
import { judgeRobustness, malformedDatagrams } from './robustness.js';

describe('robustness checks', () => {
  it('every datagram is one a correct peer drops (the node parser refuses each)', () => {
    const list = malformedDatagrams({ host: '127.0.0.1', port: 5000 });
    expect(new Set(list.map((d) => d.label)).size).toBe(list.length);
    for (const d of list) expect(parseDatagram(d.bytes).ok, d.label).toBe(false);
    expect(list.some((d) => d.bytes.byteLength > 1024)).toBe(true);
  });

  it('names the datagram after which the peer went quiet; replies to malformed input warn', () => {
    expect(judgeRobustness({ sent: 17, deadAfter: null, replies: [] }).status).toBe('pass');
    expect(judgeRobustness({ sent: 2, deadAfter: 'not UTF-8', replies: [] })).toMatchObject({
      status: 'fail',
      got: expect.stringMatching(/not UTF-8/),
    });
    expect(judgeRobustness({ sent: 17, deadAfter: null, replies: [json({ error: 'bad' })] }).status).toBe(
      'warn',
    );
  });
});
