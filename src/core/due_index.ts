/**
 * What is due next: a min-heap of keys by due time, so that a scheduler tick costs what is
 * due, not what is pending.
 *
 * @module
 */

interface Entry<K> {
  readonly at: number;
  readonly key: K;
}

/**
 * Keys ordered by the time they are due. Setting a key again moves it; `takeDue` and `next`
 * cost O(log n) per key due, whatever the number pending.
 *
 * @typeParam K the key type; keys are compared with `Map` semantics
 */
export class DueIndex<K> {
  // a moved or deleted key leaves its old heap entry behind; it is skipped when it surfaces,
  // and the heap is rebuilt when stale entries outnumber live ones
  readonly #heap: Entry<K>[] = [];
  readonly #due = new Map<K, number>();

  /** How many keys are pending. */
  get size(): number {
    return this.#due.size;
  }

  /** When `key` is due, or `undefined` when it is not pending. */
  get(key: K): number | undefined {
    return this.#due.get(key);
  }

  /** Makes `key` due at `at` (ms since the epoch), replacing when it was due before. */
  set(key: K, at: number): void {
    if (this.#due.get(key) === at) return;
    this.#due.set(key, at);
    this.#push({ at, key });
    if (this.#heap.length > 2 * this.#due.size + 1024) this.#rebuild();
  }

  /** Removes `key`; true when it was pending. */
  delete(key: K): boolean {
    const deleted = this.#due.delete(key);
    if (this.#heap.length > 2 * this.#due.size + 1024) this.#rebuild();
    return deleted;
  }

  /** Removes every key. */
  clear(): void {
    this.#due.clear();
    this.#heap.length = 0;
  }

  /** When the earliest pending key is due, or `undefined` when none is. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /**
   * Removes and returns the keys due at or before `now`, earliest first.
   *
   * @param now the current time, in ms since the epoch
   * @param max return at most this many; the rest stay pending
   */
  takeDue(now: number, max = Infinity): K[] {
    const taken: K[] = [];
    while (taken.length < max) {
      this.#dropStale();
      const top = this.#heap[0];
      if (top === undefined || top.at > now) break;
      this.#pop();
      this.#due.delete(top.key);
      taken.push(top.key);
    }
    return taken;
  }

  #dropStale(): void {
    while (this.#heap.length > 0 && this.#due.get(this.#heap[0].key) !== this.#heap[0].at) {
      this.#pop();
    }
  }

  #rebuild(): void {
    this.#heap.length = 0;
    for (const [key, at] of this.#due) this.#push({ at, key });
  }

  #push(entry: Entry<K>): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= entry.at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].at < heap[left].at ? right : left;
      if (heap[child].at >= last.at) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
