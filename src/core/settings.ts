/**
 * The resolved settings pure code works with: how a queue's jobs are delivered and retried.
 * `src/config/` reads and validates them; they live here so that `src/core/` depends on
 * nothing above it.
 *
 * @module
 */

/** How retry delays grow: one delay, doubling delays, or an explicit list. */
export type BackoffType = "fixed" | "exponential" | "list";

/** Retry backoff of a queue, resolved: every duration is in milliseconds. */
export interface BackoffSettings {
  /** How delays grow between attempts. */
  readonly type: BackoffType;
  /** The first delay (fixed: every delay), in milliseconds. */
  readonly delay: number;
  /** No delay is longer than this, in milliseconds. */
  readonly maxDelay: number;
  /** The fraction (0..1) by which a delay is randomly shortened or lengthened. */
  readonly jitter: number;
  /** The delays of type `"list"`, in milliseconds; the last repeats. */
  readonly delays: readonly number[];
}

/** How a queue's jobs are delivered and retried, resolved. */
export interface QueueSettings {
  /** How long a worker may hold a job without acknowledging it, in milliseconds. */
  readonly ackWait: number;
  /** How many times a job runs at most, the first run included. */
  readonly attempts: number;
  /** How many jobs of the queue may be unacknowledged at once, across all workers. */
  readonly maxInFlight: number;
  /**
   * How many times a job runs again, without counting an attempt, after its worker stopped
   * or lost its connection before storing an outcome; one more such stop makes it dead.
   */
  readonly maxStalls: number;
  /** How long to wait before each retry. */
  readonly backoff: BackoffSettings;
}
