import type { PeerAddr } from '@chainsync/protocol';

const HEAD = Buffer.from('{"items":[');
const TAIL = Buffer.from(']}');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');
/** Item heads (`{"from":…,"msg":`) of recent senders: a sync hears from a handful of peers. */
const heads = new Map<string, Buffer>();
const MAX_CACHED_HEADS = 256;

/** One item of a `net.in` payload: who sent it and its checked message's JSON bytes. */
export interface NetInEntry {
  from: PeerAddr;
  body: Uint8Array;
}

/** Bytes of `{"items":[]}`: what a payload holds besides its items and their commas. */
export const NET_IN_ENVELOPE_BYTES = HEAD.length + TAIL.length;

function itemHead(from: PeerAddr): Buffer {
  const key = `${from.port}@${from.host}`;
  let head = heads.get(key);
  if (head === undefined) {
    if (heads.size >= MAX_CACHED_HEADS) heads.clear();
    head = Buffer.from(`{"from":${JSON.stringify({ host: from.host, port: from.port })},"msg":`);
    heads.set(key, head);
  }
  return head;
}

/** The bytes `entry` takes in a payload, not counting the comma before it. */
export function netInItemBytes(entry: NetInEntry): number {
  return itemHead(entry.from).length + entry.body.byteLength + CLOSE.length;
}

/**
 * The JSON of a `net.in` payload `{items: [{from, msg}]}`, assembled from each message's bytes
 * (a datagram relayed as it came, or the checked message serialised). Its size is
 * NET_IN_ENVELOPE_BYTES + Σ netInItemBytes + one comma between items.
 */
export function encodeNetIn(entries: readonly NetInEntry[]): Buffer {
  const parts: Uint8Array[] = [HEAD];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > 0) parts.push(COMMA);
    parts.push(itemHead(e.from), e.body, CLOSE);
  }
  parts.push(TAIL);
  return Buffer.concat(parts);
}
