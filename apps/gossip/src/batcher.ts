import type { MessageType } from '@chainsync/protocol';
import { NET_IN_ENVELOPE_BYTES, encodeNetIn, netInItemBytes, type NetInEntry } from './net-in-encode.js';

export interface BatcherOptions {
  maxItems: number;
  /** Bytes of one published payload, counted as encoded (see net-in-encode.ts). */
  maxBytes: number;
  /** `payload` is the encoded `net.in` JSON of `count` items, at most `maxBytes` long. */
  publish: (type: MessageType, payload: Buffer, count: number) => void;
  /** Runs `fn` once pending I/O is handled (setImmediate in production; injected for tests). */
  schedule: (fn: () => void) => unknown;
  cancel: (handle: unknown) => void;
}

interface Pending {
  entries: NetInEntry[];
  /** The payload's size if published now. */
  bytes: number;
}

/**
 * Groups checked inbound messages per type into one `net.in.<TYPE>` publish: a batch goes out
 * when it is full (items, or the encoded bytes of the payload) or when the event loop has handled
 * the I/O already queued, whichever comes first. Sized by what the payload will hold, never by
 * what arrived, so a batch can never pass its byte cap.
 */
export class InboundBatcher {
  private readonly pending = new Map<MessageType, Pending>();
  private scheduled: unknown = undefined;

  constructor(private readonly opts: BatcherOptions) {}

  /** Adds one item; false (nothing queued) if it could not fit even an empty batch. */
  add(type: MessageType, entry: NetInEntry): boolean {
    const size = netInItemBytes(entry);
    if (NET_IN_ENVELOPE_BYTES + size > this.opts.maxBytes) return false;
    let p = this.pending.get(type);
    if (p && p.bytes + 1 + size > this.opts.maxBytes) {
      this.flushType(type, p);
      p = undefined;
    }
    if (!p) {
      p = { entries: [], bytes: NET_IN_ENVELOPE_BYTES };
      this.pending.set(type, p);
    }
    p.bytes += p.entries.length > 0 ? size + 1 : size;
    p.entries.push(entry);
    if (p.entries.length >= this.opts.maxItems) this.flushType(type, p);
    else if (this.scheduled === undefined) this.scheduled = this.opts.schedule(() => this.onScheduled());
    return true;
  }

  /** Publishes everything pending now (scheduled flush, shutdown). */
  flush(): void {
    for (const [type, p] of this.pending) this.flushType(type, p);
  }

  /** Cancels the scheduled flush without publishing (after the bus is gone). */
  close(): void {
    if (this.scheduled !== undefined) this.opts.cancel(this.scheduled);
    this.scheduled = undefined;
  }

  private onScheduled(): void {
    this.scheduled = undefined;
    this.flush();
  }

  private flushType(type: MessageType, p: Pending): void {
    this.pending.delete(type);
    if (this.pending.size === 0 && this.scheduled !== undefined) {
      this.opts.cancel(this.scheduled);
      this.scheduled = undefined;
    }
    if (p.entries.length > 0) this.opts.publish(type, encodeNetIn(p.entries), p.entries.length);
  }
}
