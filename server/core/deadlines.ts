/**
 * Pending deadlines by key, earliest first. Setting, deleting and finding the earliest cost O(log n)
 * (a binary heap; a deleted or moved deadline stays in it, stale, until it reaches the top or the heap
 * is rebuilt), so when a whole node's users enter their grace period at once (its load balancer
 * restarts, its network blips) n disconnections cost O(n log n). The earliest deadline used to be a
 * scan of everyone in grace on every change: O(n²), seconds of a blocked event loop at 10,000 users.
 */
interface Slot<K> {
  key: K;
  at: number;
}

export class Deadlines<K> {
  private readonly current = new Map<K, number>();
  private heap: Slot<K>[] = [];

  get size(): number {
    return this.current.size;
  }

  has(key: K): boolean {
    return this.current.has(key);
  }

  /** Sets (or moves) the key's deadline. */
  set(key: K, at: number): void {
    this.current.set(key, at);
    this.push({ key, at });
    // Stale slots are bounded by the live ones: rebuild when they outnumber them.
    if (this.heap.length > 2 * this.current.size + 64) this.rebuild();
  }

  delete(key: K): void {
    this.current.delete(key);
  }

  /** The earliest deadline, or null when there is none. */
  next(): number | null {
    this.dropStale();
    return this.heap[0]?.at ?? null;
  }

  /** Removes the keys whose deadline is at or before `now` and returns them, earliest first. */
  due(now: number): K[] {
    const out: K[] = [];
    for (let top = this.freshTop(); top && top.at <= now; top = this.freshTop()) {
      this.pop();
      this.current.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  private freshTop(): Slot<K> | undefined {
    this.dropStale();
    return this.heap[0];
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.current.get(top.key) !== top.at; top = this.heap[0]) this.pop();
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, at] of this.current) this.push({ key, at });
  }

  private push(slot: Slot<K>): void {
    const h = this.heap;
    let i = h.length;
    h.push(slot);
    while (i > 0) {
      const up = (i - 1) >> 1;
      const parent = h[up];
      if (!parent || parent.at <= slot.at) break;
      h[i] = parent;
      i = up;
    }
    h[i] = slot;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      let down = 2 * i + 1;
      let child = h[down];
      if (!child) break;
      const right = h[down + 1];
      if (right && right.at < child.at) {
        child = right;
        down++;
      }
      if (child.at >= last.at) break;
      h[i] = child;
      i = down;
    }
    h[i] = last;
  }
}
