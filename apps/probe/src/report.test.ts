import { describe, expect, it } from 'vitest';
import { CHECK_IDS, assemble, check, exitCode, renderText, skip, type ProbeReport } from './report.js';
import { safeText, show } from './wire.js';
import { json } from './testing/chain.js';

function report(checks: ReturnType<typeof check>[]): ProbeReport {
  return {
    target: '127.0.0.1:9000',
    reference: null,
    difficulty: 2,
    from: '127.0.0.1:5000',
    sockets: 3,
    full: false,
    robustness: false,
    startedAt: '',
    durationMs: 1234,
    datagrams: { sent: 10, received: 9, bytesSent: 100, bytesReceived: 900 },
    ...assemble(checks),
  };
}

describe('the report', () => {
  it('lists checks in catalogue order with their spec section, and counts them', () => {
    const r = report([
      check('replies.time', 'pass', 'a', 'b'),
      check('stats.reply', 'fail', 'STATS', 'nothing', 'why'),
      skip('blocks.reference', 'no ref'),
    ]);
    expect(r.checks.map((c) => c.id)).toEqual(['stats.reply', 'blocks.reference', 'replies.time']);
    expect(r.checks[0]).toMatchObject({ spec: '§2, §2.1', title: expect.any(String) });
    expect(r.summary).toEqual({ pass: 1, warn: 0, fail: 1, skip: 1 });
    expect(exitCode(r)).toBe(1);
    expect(exitCode(report([check('stats.reply', 'warn', 'a', 'b')]))).toBe(0);
    expect(CHECK_IDS).toHaveLength(17);
  });

  it('prints one line per check, the detail under it, then the summary', () => {
    const text = renderText(report([check('stats.reply', 'fail', 'STATS ×8', 'nothing', 'no reply')]));
    expect(text.split('\n')).toEqual([
      'FAIL  stats.reply  §2, §2.1  STATS ×8 → nothing',
      '                   no reply',
      '',
      '127.0.0.1:9000: 0 pass, 0 warn, 1 fail, 0 skipped in 1.2 s (10 datagrams sent, 9 received)',
    ]);
    // A skipped check's reason takes its line.
    expect(renderText(report([skip('blocks.reference', 'no reference')])).split('\n')[0]).toBe(
      'SKIP  blocks.reference  §5  (no reference)',
    );
  });

  it('never lets a peer’s text drive the terminal: control, C1 and bidi characters are escaped', () => {
    const hostile = 'a\u001b[2Jb\u009bc\u202ed\u2028e';
    expect(safeText(hostile)).toBe('a\\u{1b}[2Jb\\u{9b}c\\u{202e}d\\u{2028}e');
    const raw = ['\u001b', '\u009b', '\u202e', '\u2028'];
    const shown = show(json({ type: 'GOSSIP_REPLY', name: hostile }));
    expect(raw.filter((c) => shown.includes(c))).toEqual([]);
    const text = renderText(report([check('gossip.reply', 'pass', 'x', hostile, hostile)]));
    expect(raw.filter((c) => text.includes(c))).toEqual([]);
    expect(show(json('x'.repeat(500))).length).toBeLessThanOrEqual(130);
  });
});
