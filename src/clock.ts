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

/** The system clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep(ms, signal) {
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
  },
};

/**
 * Calls `tick` every `ms` by `clock` until the returned function is called.
 *
 * @returns stops the ticks; a tick already running is not interrupted
 */
export function repeatEvery(clock: Clock, ms: number, tick: () => void): () => void {
  const stopped = new AbortController();
  (async () => {
    while (!stopped.signal.aborted) {
      await clock.sleep(ms, stopped.signal).then(tick, () => {});
    }
  })();
  return () => stopped.abort();
}

/**
 * A signal that aborts with a `TimeoutError` (a `DOMException`, as `AbortSignal.timeout`
 * gives) once `ms` have passed by `clock`.
 *
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
