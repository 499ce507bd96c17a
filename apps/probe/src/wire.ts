import type { PeerAddr } from '@chainsync/protocol';
import { SHOWN_CHARS } from './limits.js';

/**
 * A datagram as the peer sent it. The node's parser normalises what it cannot use (a malformed
 * null reply becomes the null reply); the probe must see the exact shape, so it keeps the raw
 * JSON value and judges it itself.
 */
export type Decoded =
  | { kind: 'json'; value: unknown; text: string }
  | { kind: 'not_utf8'; bytes: number }
  | { kind: 'not_json'; text: string };

/** One datagram that reached a probe socket. `at` is a monotonic time in ms (performance.now). */
export interface Received {
  at: number;
  from: PeerAddr;
  bytes: number;
  decoded: Decoded;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decode(buf: Uint8Array): Decoded {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { kind: 'not_utf8', bytes: buf.byteLength };
  }
  try {
    return { kind: 'json', value: JSON.parse(text), text };
  } catch {
    return { kind: 'not_json', text };
  }
}

/** The value as a plain object, or undefined for anything else (arrays included). */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `type` of a decoded JSON object, as sent (no alias folding). */
export function typeOf(d: Decoded | undefined): string | undefined {
  if (d?.kind !== 'json') return undefined;
  const t = asObject(d.value)?.type;
  return typeof t === 'string' ? t : undefined;
}

/** The decoded object when its type is `type`. */
export function objectOfType(
  d: Decoded | undefined,
  ...types: string[]
): Record<string, unknown> | undefined {
  const t = typeOf(d);
  return t !== undefined && types.includes(t) ? asObject((d as { value: unknown }).value) : undefined;
}

/**
 * Peer-supplied text made safe for a terminal and a log: control characters (C0, DEL, C1, which
 * include the escape sequences a hostile peer could use to rewrite the screen), line separators,
 * bidi overrides and other format characters are shown as \u{…} escapes.
 */
export function safeText(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** What came back, in one short terminal-safe line. */
export function show(d: Decoded | undefined | null, max = SHOWN_CHARS): string {
  if (!d) return 'nothing';
  if (d.kind === 'not_utf8') return `${d.bytes} bytes that are not UTF-8`;
  if (d.kind === 'not_json') return `not JSON: ${safeText(cut(d.text, max - 10))}`;
  return safeText(cut(JSON.stringify(d.value) ?? String(d.value), max));
}

export const addrText = (a: PeerAddr): string => `${a.host}:${a.port}`;
export const sameAddr = (a: PeerAddr, b: PeerAddr): boolean => a.host === b.host && a.port === b.port;

/** A short hash for report lines: the first 8 and the last 8 characters. */
export const shortHash = (h: string): string => (h.length > 20 ? `${h.slice(0, 8)}…${h.slice(-8)}` : h);
