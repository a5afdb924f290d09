/**
 * A job's life as one pure function: {@linkcode transition} takes a job and what happened to
 * it, and returns the job it becomes, or why nothing changes. The services turn the result
 * into NATS operations: a `waiting` job is a run message, `delayed` and `failed` are
 * scheduled messages, a finished job is its final record, and `active` is written nowhere.
 *
 * @module
 */
import { retryDelay } from "./backoff.ts";
import {
  type AttemptError,
  type CancelledJob,
  type CompletedJob,
  type DeadJob,
  jobBase,
  type JobRecord,
} from "./job.ts";

/** What can happen to a job. */
export type Occurrence =
  /**
   * A worker was handed the job's message. `deliveries` counts this one: more than one means
   * the workers before stopped without an outcome (a stall). `stale` says the job moved on
   * without this message (it finished, or was written anew), which is then let go.
   */
  | {
    readonly type: "claimed";
    readonly at: number;
    readonly worker: string;
    readonly deliveries: number;
    readonly maxStalls: number;
    readonly hasTask: boolean;
    readonly stale: boolean;
  }
  /** The handler returned `result` (as JSON holds it). */
  | { readonly type: "succeeded"; readonly at: number; readonly result: unknown }
  /**
   * The attempt failed with `error` (described as `failure`); `random` in [0, 1) jitters
   * the backoff.
   */
  | {
    readonly type: "failed";
    readonly at: number;
    readonly error: unknown;
    readonly failure: AttemptError;
    readonly random: number;
  }
  /** The worker gives up on the job at once, for `reason` (its retry would not fit). */
  | { readonly type: "gave up"; readonly at: number; readonly reason: string }
  /** The worker stops before the job finished, and gives it back without counting it. */
  | { readonly type: "handed back" }
  /** Its delay or retry came due: the server fired its schedule. */
  | { readonly type: "came due" }
  /** Someone cancelled it. */
  | { readonly type: "cancelled"; readonly at: number }
  /** Someone retried it from its dead letter, as a new enqueue with a fresh nonce. */
  | { readonly type: "revived"; readonly nonce: string };

/** What a job becomes. */
export type Step =
  /** It is `job` now; a retry is due in `retryInMs`. */
  | { readonly kind: "moved"; readonly job: JobRecord; readonly retryInMs?: number }
  /** Nothing changes, for `reason`: the occurrence does not apply to the job's state. */
  | { readonly kind: "unchanged"; readonly reason: string };

/** The states each occurrence applies to. */
const APPLIES: { readonly [T in Occurrence["type"]]: readonly JobRecord["state"][] } = {
  "claimed": ["waiting"],
  "succeeded": ["active"],
  "failed": ["active"],
  "gave up": ["active"],
  "handed back": ["active"],
  "came due": ["delayed", "failed"],
  "cancelled": ["waiting", "delayed", "active", "failed"],
  "revived": ["dead"],
};

/** Every kind of occurrence, for exhaustive tests. */
export const OCCURRENCE_TYPES = Object.keys(APPLIES) as readonly Occurrence["type"][];

/**
 * The job `job` becomes when `occurrence` happens to it.
 *
 * @returns the job it becomes, or why nothing changes
 */
export function transition(job: JobRecord, occurrence: Occurrence): Step {
  if (!APPLIES[occurrence.type].includes(job.state)) {
    return { kind: "unchanged", reason: `it is ${job.state}, and cannot be ${occurrence.type}` };
  }
  const base = jobBase(job);
  switch (occurrence.type) {
    case "claimed":
      return claimed(job, occurrence);
    case "succeeded": {
      const completed: CompletedJob = {
        ...base,
        state: "completed",
        finishedAt: occurrence.at,
        result: occurrence.result,
      };
      return { kind: "moved", job: completed };
    }
    case "failed":
      return failed(job, occurrence);
    case "gave up":
      return { kind: "moved", job: dead(job, occurrence.at, occurrence.reason) };
    case "handed back":
      // the attempt did not count: the message keeps the attempts used before it
      return { kind: "moved", job: { ...base, state: "waiting", attempt: base.attempt - 1 } };
    case "came due":
      return { kind: "moved", job: { ...base, state: "waiting" } };
    case "cancelled": {
      const cancelled: CancelledJob = { ...base, state: "cancelled", finishedAt: occurrence.at };
      return { kind: "moved", job: cancelled };
    }
    case "revived": {
      const { seq: _, startedAt: _startedAt, worker: _worker, progress: _progress, ...rest } = base;
      return {
        kind: "moved",
        job: { ...rest, state: "waiting", attempt: 0, errors: [], nonce: occurrence.nonce },
      };
    }
  }
}

function claimed(job: JobRecord, occurrence: Occurrence & { type: "claimed" }): Step {
  if (occurrence.stale) {
    return { kind: "unchanged", reason: "it moved on without this message" };
  }
  const stalls = occurrence.deliveries - 1;
  const attempt = job.attempt + 1;
  const { attempts } = job.options;
  if (stalls > occurrence.maxStalls) {
    return {
      kind: "moved",
      job: dead(
        { ...job, attempt, startedAt: occurrence.at, worker: occurrence.worker },
        occurrence.at,
        `attempt ${attempt} of ${attempts} stopped without an outcome ${stalls} times (its ` +
          `workers stopped or lost their connection), more than maxStalls ` +
          `(${occurrence.maxStalls})`,
      ),
    };
  }
  if (!occurrence.hasTask) {
    return {
      kind: "moved",
      job: dead(
        { ...job, worker: occurrence.worker }, // never started
        occurrence.at,
        `no task named ${JSON.stringify(job.task)} is registered with worker ` +
          occurrence.worker,
      ),
    };
  }
  return {
    kind: "moved",
    job: {
      ...jobBase(job),
      state: "active",
      attempt,
      startedAt: occurrence.at,
      worker: occurrence.worker,
    },
  };
}

function failed(job: JobRecord, occurrence: Occurrence & { type: "failed" }): Step {
  const { attempts, backoff } = job.options;
  const errored = { ...job, errors: [...job.errors, occurrence.failure] };
  if (isUnrecoverable(occurrence.error)) {
    const message = String((occurrence.error as Error).message);
    // the reason goes in the job's record and its dead letter: a long message is cut
    const said = message.length <= 500 ? message : `${message.slice(0, 500)}…`;
    return {
      kind: "moved",
      job: dead(errored, occurrence.at, `unrecoverable on attempt ${job.attempt}: ${said}`),
    };
  }
  if (job.attempt < attempts) {
    const retryInMs = retryDelay(backoff, job.attempt, occurrence.random);
    return {
      kind: "moved",
      job: { ...jobBase(errored), state: "failed", retryAt: occurrence.at + retryInMs },
      retryInMs,
    };
  }
  const reason = `failed ${job.attempt} of ${attempts} attempt${attempts === 1 ? "" : "s"}`;
  return { kind: "moved", job: dead(errored, occurrence.at, reason) };
}

function dead(job: JobRecord, at: number, reason: string): DeadJob {
  return { ...jobBase(job), state: "dead", finishedAt: at, deadReason: reason };
}

/**
 * True for an `UnrecoverableError` or a subclass, known by its code rather than its class:
 * two copies of naq in one program (two versions) throw different classes.
 */
function isUnrecoverable(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "UNRECOVERABLE";
}
