/**
 * Time, injected: services read `now()` and wait with `sleep()` through a Clock, so tests can
 * drive time instead of waiting for it.
 *
 * @module
 */

/** A source of time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin, never stepping back or jumping when the wall
   * clock is set: for measuring how long something took.
   */
  monotonic(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// the longest wait setTimeout takes: past it, a timer fires at once
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The system clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  async sleep(ms, signal) {
    // a wait longer than a timer takes (about 24 days) is slept in parts
    for (let left = ms; left > MAX_TIMER_MS; left -= MAX_TIMER_MS) {
      await timer(MAX_TIMER_MS, signal);
    }
    await timer(Math.min(ms, MAX_TIMER_MS), signal);
  },
};

function timer(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // a time already past waits for nothing, as ManualClock does (setTimeout warns on it)
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `tick` every `ms` by `clock` until the returned function is called.
 *
 * @param clock the clock the ticks follow
 * @param ms the time between ticks
 * @param tick what to do; a tick that throws is skipped, and the ticks go on
 * @returns stops the ticks; a tick already running is not interrupted
 */
export function repeatEvery(clock: Clock, ms: number, tick: () => void): () => void {
  const stopped = new AbortController();
  (async () => {
    while (!stopped.signal.aborted) {
      await clock.sleep(ms, stopped.signal).then(tick, () => {}).catch(() => {});
    }
  })();
  return () => stopped.abort();
}

/**
 * A signal that aborts with a `TimeoutError` (a `DOMException`, as `AbortSignal.timeout`
 * gives) once `ms` have passed by `clock`.
 *
 * @param clock the clock that measures the time
 * @param ms how long until the signal aborts
 * @returns the signal, and `cancel()` to release its timer early
 */
export function timeoutSignal(clock: Clock, ms: number): { signal: AbortSignal; cancel(): void } {
  const timedOut = new AbortController();
  const cancelled = new AbortController();
  clock.sleep(ms, cancelled.signal).then(
    () => timedOut.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError")),
    () => {},
  );
  return { signal: timedOut.signal, cancel: () => cancelled.abort() };
}
