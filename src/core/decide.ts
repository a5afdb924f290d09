/**
 * The decisions of a job's life, as pure functions the worker turns into NATS operations:
 * what to do with a delivered message ({@linkcode decideClaim}: run it, drop it, or kill it)
 * and what follows an attempt ({@linkcode decide}: complete, retry, or dead).
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
    const message = String((outcome.error as Error).message);
    // the reason goes in the job's record and its dead letter: a long message is cut
    const said = message.length <= 500 ? message : `${message.slice(0, 500)}…`;
    return { kind: "dead", reason: `unrecoverable on attempt ${job.attempt}: ${said}` };
  }
  if (job.attempt < attempts) {
    return { kind: "retry", delayMs: retryDelay(backoff, job.attempt, random) };
  }
  return {
    kind: "dead",
    reason: `failed ${job.attempt} of ${attempts} attempt${attempts === 1 ? "" : "s"}`,
  };
}

/** What a worker knows of a job message it was handed. */
export interface ClaimFacts {
  /** Attempts the job used before this message. */
  readonly attempt: number;
  /** The job's attempts in all. */
  readonly attempts: number;
  /** How many times the message has been delivered, this time included. */
  readonly deliveries: number;
  /** The queue's `maxStalls`. */
  readonly maxStalls: number;
  /** The job's task. */
  readonly task: string;
  /** Whether the worker has the job's task. */
  readonly hasTask: boolean;
  /** The worker's id. */
  readonly worker: string;
  /** Whether the job's latest message is another one: it moved on without this one. */
  readonly movedOn: boolean;
}

/** What a worker does with a message it was handed. */
export type ClaimDecision =
  | { readonly kind: "run"; readonly attempt: number }
  | { readonly kind: "dead"; readonly attempt: number; readonly reason: string }
  | { readonly kind: "drop" };

/**
 * Decides what a worker does with a delivered job message: runs it as its next attempt,
 * lets it go (the job moved on: a redelivery after its outcome was stored), or kills it.
 * A delivery after the first is a stall: its worker stopped without an outcome. It runs the
 * same attempt again, up to `maxStalls` times, so that a job that kills its workers ends.
 */
export function decideClaim(facts: ClaimFacts): ClaimDecision {
  if (facts.movedOn) return { kind: "drop" };
  const stalls = facts.deliveries - 1;
  const attempt = facts.attempt + 1;
  if (stalls > facts.maxStalls) {
    return {
      kind: "dead",
      attempt,
      reason: `attempt ${attempt} of ${facts.attempts} stopped without an outcome ${stalls} ` +
        `times (its workers stopped or lost their connection), more than maxStalls ` +
        `(${facts.maxStalls})`,
    };
  }
  if (!facts.hasTask) {
    return {
      kind: "dead",
      attempt: facts.attempt, // never started
      reason: `no task named ${
        JSON.stringify(facts.task)
      } is registered with worker ${facts.worker}`,
    };
  }
  return { kind: "run", attempt };
}
