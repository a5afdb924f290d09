/**
 * A counting semaphore for a worker's concurrency: how many jobs may run at once.
 *
 * @module
 */

/** `capacity` slots, taken and released in any number. */
export class Slots {
  #free: number;
  #waiters: (() => void)[] = [];

  /** @param capacity how many slots there are, at least 1 */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create slots as 'capacity' must be a positive integer: current value is ${capacity}`,
      );
    }
    this.#free = capacity;
  }

  /** How many slots are free now. */
  get free(): number {
    return this.#free;
  }

  /** Resolves once a slot is free (at once if one is), or when `signal` aborts. */
  whenFree(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", wake);
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
        resolve();
      };
      this.#waiters.push(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  /** Takes up to `max` free slots and returns how many it took. */
  take(max: number): number {
    const taken = Math.max(0, Math.min(max, this.#free));
    this.#free -= taken;
    return taken;
  }

  /** Gives back `count` slots and wakes whoever waits for one. */
  release(count = 1): void {
    if (count <= 0) return;
    this.#free += count;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
