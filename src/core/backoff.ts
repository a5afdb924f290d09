/**
 * How long to wait before the next attempt.
 *
 * @module
 */
import type { BackoffSettings } from "./settings.ts";

/**
 * The delay before the attempt after `failedAttempt`.
 *
 * `fixed` waits `delay` every time; `exponential` waits `delay * 2^(failedAttempt - 1)`;
 * `list` waits `delays[failedAttempt - 1]`, repeating the last entry. Jitter then moves the
 * delay by up to `±jitter` of itself, and `maxDelay` caps the result.
 *
 * @param backoff the job's backoff settings
 * @param failedAttempt the attempt that just failed, from 1
 * @param random a number in [0, 1), such as `Math.random()`
 * @returns the delay in milliseconds, never negative
 *
 * @example Exponential backoff without jitter
 * ```ts
 * import { retryDelay } from "./backoff.ts";
 * const backoff = { type: "exponential", delay: 1000, maxDelay: 60_000, jitter: 0, delays: [] } as const;
 * retryDelay(backoff, 3, 0.5); // 4000
 * ```
 */
export function retryDelay(
  backoff: BackoffSettings,
  failedAttempt: number,
  random: number,
): number {
  const base = baseDelay(backoff, Math.max(1, failedAttempt));
  const jittered = base * (1 + backoff.jitter * (2 * random - 1));
  return Math.round(Math.max(0, Math.min(jittered, backoff.maxDelay)));
}

function baseDelay(backoff: BackoffSettings, failedAttempt: number): number {
  switch (backoff.type) {
    case "fixed":
      return backoff.delay;
    case "exponential":
      // past 2^52 the delay is capped anyway; keep the arithmetic finite
      return backoff.delay * 2 ** Math.min(failedAttempt - 1, 52);
    case "list": {
      const { delays } = backoff;
      return delays.length === 0
        ? backoff.delay
        : delays[Math.min(failedAttempt, delays.length) - 1];
    }
  }
}
