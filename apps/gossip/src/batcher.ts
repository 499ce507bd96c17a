import type { Inbound, MessageType } from '@chainsync/protocol';

export interface BatcherOptions {
  maxItems: number;
  /** Sum of the datagram sizes in one batch; bounds the bus payload. */
  maxBytes: number;
  flushMs: number;
  publish: (type: MessageType, items: Inbound[]) => void;
  /** Timer functions, injected so tests can drive time. */
  schedule: (fn: () => void, ms: number) => unknown;
  cancel: (handle: unknown) => void;
}

interface Pending {
  items: Inbound[];
  bytes: number;
}

/**
 * Groups checked inbound messages per type into one `net.in.<TYPE>` publish: a batch goes out
 * when it is full (items or bytes) or `flushMs` after its first item, whichever comes first.
 */
export class InboundBatcher {
  private readonly pending = new Map<MessageType, Pending>();
  private timer: unknown = undefined;

  constructor(private readonly opts: BatcherOptions) {}

  add(type: MessageType, item: Inbound, bytes: number): void {
    let p = this.pending.get(type);
    if (p && p.bytes + bytes > this.opts.maxBytes) {
      this.flushType(type, p);
      p = undefined;
    }
    if (!p) {
      p = { items: [], bytes: 0 };
      this.pending.set(type, p);
    }
    p.items.push(item);
    p.bytes += bytes;
    if (p.items.length >= this.opts.maxItems) this.flushType(type, p);
    else if (this.timer === undefined)
      this.timer = this.opts.schedule(() => this.onTimer(), this.opts.flushMs);
  }

  /** Publishes everything pending now (timer, shutdown). */
  flush(): void {
    for (const [type, p] of this.pending) this.flushType(type, p);
  }

  /** Stops the timer without publishing (after the bus is gone). */
  close(): void {
    if (this.timer !== undefined) this.opts.cancel(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.flush();
  }

  private flushType(type: MessageType, p: Pending): void {
    this.pending.delete(type);
    if (this.pending.size === 0 && this.timer !== undefined) {
      this.opts.cancel(this.timer);
      this.timer = undefined;
    }
    if (p.items.length > 0) this.opts.publish(type, p.items);
  }
}
