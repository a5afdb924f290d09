import type { Clock } from "../../src/clock.ts";

interface Sleeper {
  readonly until: number;
  readonly resolve: () => void;
}

/** A clock that moves only when the test says: `advance()` wakes whoever it passes. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  /** Starts at `start` (ms since the epoch); a Monday noon UTC by default. */
  constructor(start = Date.UTC(2026, 0, 5, 12)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        until: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((other) => other !== sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (ms <= 0) return sleeper.resolve();
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms` and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  /** Moves time to `at` (never backwards) and wakes every sleeper whose time has come. */
  set(at: number): void {
    if (at < this.#now) throw new RangeError("a ManualClock never goes backwards");
    this.#now = at;
    const due = this.#sleepers.filter((sleeper) => sleeper.until <= at);
    this.#sleepers = this.#sleepers.filter((sleeper) => sleeper.until > at);
    for (const sleeper of due) sleeper.resolve();
  }
}
