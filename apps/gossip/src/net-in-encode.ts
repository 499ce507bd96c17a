import type { Inbound, PeerAddr } from '@chainsync/protocol';

const HEAD = Buffer.from('{"items":[');
const TAIL = Buffer.from(']}');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');
/** Item heads (`{"from":…,"msg":`) of recent senders: a sync hears from a handful of peers. */
const heads = new Map<string, Buffer>();
const MAX_CACHED_HEADS = 256;

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

/**
 * The JSON of a `net.in` payload `{items}`, with each message whose datagram is given in `raws`
 * copied in as those bytes rather than serialised again. A raw datagram must be exactly its
 * checked message as UTF-8 JSON (no leading byte-order mark): parsing the result then gives the
 * same payload as `JSON.stringify({items})`.
 */
export function encodeNetIn(items: readonly Inbound[], raws: readonly (Uint8Array | undefined)[]): Buffer {
  const parts: Uint8Array[] = [HEAD];
  for (let i = 0; i < items.length; i++) {
    const { from, msg } = items[i]!;
    if (i > 0) parts.push(COMMA);
    parts.push(itemHead(from));
    parts.push(raws[i] ?? Buffer.from(JSON.stringify(msg)));
    parts.push(CLOSE);
  }
  parts.push(TAIL);
  return Buffer.concat(parts);
}
