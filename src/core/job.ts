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

/** True for a job in a state it never leaves except through an explicit `retry()`. */
export function isFinished(job: JobRecord): job is FinishedJob {
  return job.state === "completed" || job.state === "dead" || job.state === "cancelled";
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

/** What every job has, whatever its state. */
export interface JobBase {
  /** The job's id, unique in its queue. */
  readonly id: string;
  /** The queue it belongs to. */
  readonly queue: string;
  /** The task that runs it. */
  readonly task: string;
  /** The JSON payload it was enqueued with. */
  readonly payload: unknown;
  /** Attempts started so far. */
  readonly attempt: number;
  /** Retry and timeout settings. */
  readonly options: JobOptions;
  /** Identifies the enqueue that created this job; a message with another is a duplicate. */
  readonly nonce: string;
  /** When it was enqueued, in ms since the epoch. */
  readonly enqueuedAt: number;
  /** The schedule that fired it, and the instant it fired for. */
  readonly schedule?: ScheduleFiring;
  /** When its latest attempt started. */
  readonly startedAt?: number;
  /** The worker running it, or that ran its latest attempt. */
  readonly worker?: string;
  /** The last value the handler reported through `ctx.progress()`. */
  readonly progress?: unknown;
  /** Every failed attempt's error, oldest first. */
  readonly errors: readonly AttemptError[];
  /** Its message's sequence in the queue's stream, so that cancelling can remove it. */
  readonly seq?: number;
}

/** Enqueued, not started. */
export interface WaitingJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "waiting";
}

/** Enqueued to run later. */
export interface DelayedJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "delayed";
  /** When it is due, in ms since the epoch. */
  readonly runAt: number;
}

/** A worker runs it. */
export interface ActiveJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "active";
}

/** An attempt failed, and another is due. */
export interface FailedJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "failed";
  /** When the next attempt is due, in ms since the epoch. */
  readonly retryAt: number;
}

/** Its handler returned. */
export interface CompletedJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "completed";
  /** When it completed, in ms since the epoch. */
  readonly finishedAt: number;
  /** What the handler returned, as JSON holds it. */
  readonly result: unknown;
}

/** Failed for good: it is in the dead-letter store. */
export interface DeadJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "dead";
  /** When it died, in ms since the epoch. */
  readonly finishedAt: number;
  /** Why it is dead. */
  readonly deadReason: string;
  /** Its dead letter's sequence in the dead-letter stream. */
  readonly deadLetterSeq?: number;
}

/** Cancelled before it finished. */
export interface CancelledJob extends JobBase {
  /** Where it is in its life. */
  readonly state: "cancelled";
  /** When it was cancelled, in ms since the epoch. */
  readonly finishedAt: number;
}

/**
 * The stored state of a job, as `getJob()` returns it: one shape per state, told apart by
 * `state`, so that a field is there exactly when its state has it (`result` once completed,
 * `deadReason` once dead).
 */
export type JobRecord =
  | WaitingJob
  | DelayedJob
  | ActiveJob
  | FailedJob
  | CompletedJob
  | DeadJob
  | CancelledJob;

/** A job that reached the end of its life. */
export type FinishedJob = CompletedJob | DeadJob | CancelledJob;

/** The fields of `job` that every state keeps, without those of its state. */
export function jobBase(job: JobBase): JobBase {
  const { id, queue, task, payload, attempt, options, nonce, enqueuedAt, errors } = job;
  return {
    id,
    queue,
    task,
    payload,
    attempt,
    options,
    nonce,
    enqueuedAt,
    errors,
    ...(job.schedule && { schedule: job.schedule }),
    ...(job.startedAt !== undefined && { startedAt: job.startedAt }),
    ...(job.worker !== undefined && { worker: job.worker }),
    ...(job.progress !== undefined && { progress: job.progress }),
    ...(job.seq !== undefined && { seq: job.seq }),
  };
}
