import type { Inbound, MessageType } from '@chainsync/protocol';

export interface BatcherOptions {
  maxItems: number;
  /** Sum of the datagram sizes in one batch; bounds the bus payload. */
  maxBytes: number;
  /** `raws[i]` is item i's datagram when it may be forwarded verbatim (see net-in-encode.ts). */
  publish: (type: MessageType, items: Inbound[], raws: (Uint8Array | undefined)[]) => void;
  /** Runs `fn` once pending I/O is handled (setImmediate in production; injected for tests). */
  schedule: (fn: () => void) => unknown;
  cancel: (handle: unknown) => void;
}

interface Pending {
  items: Inbound[];
  raws: (Uint8Array | undefined)[];
  bytes: number;
}

/**
 * Groups checked inbound messages per type into one `net.in.<TYPE>` publish: a batch goes out
 * when it is full (items or bytes) or when the event loop has handled the I/O already queued,
 * whichever comes first.
 */
export class InboundBatcher {
  private readonly pending = new Map<MessageType, Pending>();
  private scheduled: unknown = undefined;

  constructor(private readonly opts: BatcherOptions) {}

  add(type: MessageType, item: Inbound, bytes: number, raw?: Uint8Array): void {
    let p = this.pending.get(type);
    if (p && p.bytes + bytes > this.opts.maxBytes) {
      this.flushType(type, p);
      p = undefined;
    }
    if (!p) {
      p = { items: [], raws: [], bytes: 0 };
      this.pending.set(type, p);
    }
    p.items.push(item);
    p.raws.push(raw);
    p.bytes += bytes;
    if (p.items.length >= this.opts.maxItems) this.flushType(type, p);
    else if (this.scheduled === undefined) this.scheduled = this.opts.schedule(() => this.onScheduled());
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
    if (p.items.length > 0) this.opts.publish(type, p.items, p.raws);
  }
}
