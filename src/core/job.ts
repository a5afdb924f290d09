/**
 * The job model: what a job is, the states it moves through, and what is stored about it.
 *
 * @module
 */
import type { BackoffSettings } from "./settings.ts";

/**
 * Where a job is in its life:
 * `delayed` (enqueued to run at `runAt`), `waiting` (enqueued, not started), `active` (a worker runs it), `failed` (an attempt
 * failed and a retry is due at `retryAt`), `completed`, `dead` (failed for good, in the
 * dead-letter store), `cancelled` (cancelled before it started).
 */
export type JobState =
  | "delayed"
  | "waiting"
  | "active"
  | "failed"
  | "completed"
  | "dead"
  | "cancelled";

/** Every job state, in lifecycle order. */
export const JOB_STATES: readonly JobState[] = [
  "delayed",
  "waiting",
  "active",
  "failed",
  "completed",
  "dead",
  "cancelled",
];

/** True for the states a job never leaves except through an explicit `retry()`. */
export function isFinished(state: JobState): boolean {
  return state === "completed" || state === "dead" || state === "cancelled";
}

/** What one failed attempt left behind. */
export interface AttemptError {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** The error's message. */
  readonly message: string;
  /** The error's name, such as `TypeError` or `TimeoutError`. */
  readonly name: string;
  /** The error's stack, when it had one. */
  readonly stack?: string;
  /** The worker that ran the attempt. */
  readonly worker: string;
  /** When the attempt failed, in ms since the epoch. */
  readonly at: number;
}

/** Which firing of which schedule a job came from. */
export interface ScheduleFiring {
  /** The schedule's id. */
  readonly id: string;
  /** The instant it fired for, in ms since the epoch. */
  readonly at: number;
}

/** How a job is retried and bounded; fixed when the job is enqueued. */
export interface JobOptions {
  /** How many attempts in all, from 1. */
  readonly attempts: number;
  /** The delay between attempts. */
  readonly backoff: BackoffSettings;
  /** An attempt running longer than this fails with a timeout; 0 for none. */
  readonly timeoutMs: number;
}

/** The stored state of a job, as `getJob()` returns it. */
export interface JobRecord {
  /** The job's id, unique in its queue. */
  readonly id: string;
  /** The queue it belongs to. */
  readonly queue: string;
  /** The task that runs it. */
  readonly task: string;
  /** The JSON payload it was enqueued with. */
  readonly payload: unknown;
  /** Where it is in its life. */
  readonly state: JobState;
  /** Attempts started so far. */
  readonly attempt: number;
  /** Retry and timeout settings. */
  readonly options: JobOptions;
  /** Identifies the enqueue that created this job; a message with another is a duplicate. */
  readonly nonce: string;
  /** When it was enqueued, in ms since the epoch. */
  readonly enqueuedAt: number;
  /** When it is due, while `delayed`. */
  readonly runAt?: number;
  /** The schedule that fired it, and the instant it fired for. */
  readonly schedule?: ScheduleFiring;
  /** When its latest attempt started. */
  readonly startedAt?: number;
  /** When it completed, died or was cancelled. */
  readonly finishedAt?: number;
  /** When the next attempt is due, while `failed`. */
  readonly retryAt?: number;
  /** The last value the handler reported through `ctx.progress()`. */
  readonly progress?: unknown;
  /** What the handler returned, once `completed`. */
  readonly result?: unknown;
  /** Every failed attempt's error, oldest first. */
  readonly errors: readonly AttemptError[];
  /** The worker running it, or that ran its latest attempt. */
  readonly worker?: string;
  /** Why it is dead, once `dead`. */
  readonly deadReason?: string;
  /** Its message's sequence in the queue's stream, so that cancelling can remove it. */
  readonly seq?: number;
  /** Its dead letter's sequence in the dead-letter stream, once `dead`. */
  readonly deadLetterSeq?: number;
}
