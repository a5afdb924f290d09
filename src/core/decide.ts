/**
 * What happens to a job after an attempt: the one decision in naq's lifecycle, as a pure
 * function the worker turns into `ack`, `nak(delay)` or a dead letter.
 *
 * @module
 */
import { retryDelay } from "./backoff.ts";
import type { JobRecord } from "./job.ts";

/** The outcome of one attempt. */
export type AttemptOutcome =
  | { readonly kind: "succeeded"; readonly result: unknown }
  | { readonly kind: "failed"; readonly error: unknown };

/** What to do with the job next. */
export type Decision =
  | { readonly kind: "complete"; readonly result: unknown }
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "dead"; readonly reason: string };

/**
 * True for an {@linkcode UnrecoverableError} or a subclass, known by its code rather than its
 * class: two copies of naq in one program (two versions) throw different classes.
 */
function isUnrecoverable(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "UNRECOVERABLE";
}

/**
 * Decides what follows an attempt of `job` (whose `attempt` counts the one just run).
 *
 * @param job the job as it was while the attempt ran
 * @param outcome what the attempt produced
 * @param random a number in [0, 1) for backoff jitter
 * @returns complete, retry after a delay, or dead with a reason
 */
export function decide(job: JobRecord, outcome: AttemptOutcome, random: number): Decision {
  if (outcome.kind === "succeeded") return { kind: "complete", result: outcome.result };
  const { attempts, backoff } = job.options;
  if (isUnrecoverable(outcome.error)) {
    const { message } = outcome.error as Error;
    return { kind: "dead", reason: `unrecoverable on attempt ${job.attempt}: ${message}` };
  }
  if (job.attempt < attempts) {
    return { kind: "retry", delayMs: retryDelay(backoff, job.attempt, random) };
  }
  return {
    kind: "dead",
    reason: `failed ${job.attempt} of ${attempts} attempt${attempts === 1 ? "" : "s"}`,
  };
}
