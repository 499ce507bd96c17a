/**
 * Answers being waited for, keyed by height: the first ask for a height sends the request, later
 * asks wait on the same answer, and each height gives up after a timeout. Bounded in heights and
 * in waiters per height: past either, an ask gets `undefined` at once instead of memory.
 */
export class PendingFetches<V> {
  private readonly pending = new Map<
    number,
    { waiters: ((v: V | undefined) => void)[]; timer: NodeJS.Timeout }
  >();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxKeys: number,
    private readonly maxWaiters: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Waits for `key`; true when this is its first ask (the caller sends the request). */
  wait(key: number, waiter: (v: V | undefined) => void): boolean {
    const p = this.pending.get(key);
    if (p) {
      if (p.waiters.length < this.maxWaiters) p.waiters.push(waiter);
      else waiter(undefined);
      return false;
    }
    if (this.pending.size >= this.maxKeys) {
      waiter(undefined);
      return false;
    }
    const timer = setTimeout(() => this.settle(key, undefined), this.timeoutMs);
    this.pending.set(key, { waiters: [waiter], timer });
    return true;
  }

  settle(key: number, value: V | undefined): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    for (const w of p.waiters) w(value);
  }

  /** Gives every waiter `undefined` and clears the timers. */
  close(): void {
    for (const key of [...this.pending.keys()]) this.settle(key, undefined);
  }
}

/** A map that forgets its oldest entry past `max` entries. */
export class BoundedCache<V> {
  private readonly map = new Map<number, V>();

  constructor(private readonly max: number) {}

  get(key: number): V | undefined {
    return this.map.get(key);
  }

  set(key: number, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }

  clear(): void {
    this.map.clear();
  }
}
