import { checkJobId } from "../../../core/envelope.ts";
import { type FinishedJob, JOB_STATES, type JobRecord, type JobState } from "../../../core/job.ts";
import { jobFromMessage } from "../../../core/job_view.ts";
import type { JobMessageKind } from "../../../core/names.ts";
import { ErrorCode, NaqError } from "../../../errors.ts";
import { retryWhileLeaderless } from "../../core/retry_while_leaderless.ts";
import type { JobContext } from "./job_context.ts";

/** Counts of a queue's jobs per state. */
export type QueueStats = Record<JobState, number>;

/** Reads a job in any state; `null` when unknown or expired (see `results.ttl`). */
export async function getJob(
  { jobs }: JobContext,
  queue: string,
  jobId: string,
): Promise<JobRecord | null> {
  const message = await jobs.messages.latest(queue, checkJobId(jobId));
  return message && await jobs.recordOf(queue, message);
}

/**
 * Counts the queue's jobs per state, from the server's counts of each kind of message and
 * the workers' consumer: no record is read.
 */
export async function countJobs({ jobs, clock }: JobContext, queue: string): Promise<QueueStats> {
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueStats;
  // reads only: safe to repeat while the stream elects a leader
  return await retryWhileLeaderless(clock, {
    what: `count the jobs of queue ${queue}`,
    stream: jobs.names.queueStream(queue),
    write: async () => {
      if (!await jobs.exists(queue)) return counts;
      const workers = () => jobs.workersState(queue);
      const [kinds, consumer] = await Promise.all([
        jobs.messages.counts(queue),
        // opened when no worker has yet: it counts the run messages
        workers().then(async (state) => state ?? (await jobs.consumer(queue), await workers())),
      ]);
      return {
        ...counts,
        active: consumer?.ackPending ?? 0,
        waiting: consumer?.pending ?? 0,
        delayed: kinds.delayed,
        failed: kinds.retry,
        completed: kinds.completed,
        dead: kinds.dead,
        cancelled: kinds.cancelled,
      };
    },
  });
}

/**
 * Lists the queue's jobs, newest first: a read of every job's latest message, for operators,
 * not hot paths.
 *
 * @param options `state` keeps only jobs in that state; `limit` (default 100) caps the list
 * @returns at most `limit` records, by `enqueuedAt`, newest first
 */
export async function listJobs(
  { jobs }: JobContext,
  queue: string,
  options: { readonly state?: JobState; readonly limit?: number } = {},
): Promise<JobRecord[]> {
  const { state, limit = 100 } = options;
  if (!await jobs.exists(queue)) return [];
  const delivered = await jobs.delivered(queue);
  const found: JobRecord[] = [];
  for await (const { message } of jobs.messages.all(queue)) {
    const job = jobFromMessage(queue, message, message.kind === "run" && message.seq <= delivered);
    if (job && (state === undefined || job.state === state)) found.push(job);
  }
  return found
    // jobs enqueued in the same millisecond keep their queue order
    .sort((a, b) => b.enqueuedAt - a.enqueuedAt || (b.seq ?? 0) - (a.seq ?? 0))
    .slice(0, limit);
}

/** Which page of a queue's jobs {@linkcode listJobPage} reads. */
export interface JobPageOptions {
  /** The state of the jobs. */
  readonly state: JobState;
  /** The `next` of the page before; 0 (the default) for the first page. */
  readonly after?: number;
  /** At most this many jobs. Default 50. */
  readonly limit?: number;
}

/** One page of a queue's jobs in one state, in the order they were stored. */
export interface JobPage {
  /** The page's jobs, oldest message first. */
  readonly jobs: JobRecord[];
  /** The `after` of the next page; `null` on the last. */
  readonly next: number | null;
}

// the message that holds a job in each state (run holds both waiting and active jobs)
const MESSAGE_OF: Record<JobState, JobMessageKind> = {
  waiting: "run",
  active: "run",
  delayed: "delayed",
  failed: "retry",
  completed: "completed",
  dead: "dead",
  cancelled: "cancelled",
};

/**
 * Reads one page of the queue's jobs in one state: only that page's messages, whatever the
 * queue holds, so an operator's listing costs the same with ten jobs or a million. Active
 * jobs come without what only their worker knows (`getJob()` asks it).
 *
 * @returns at most `limit` records, in stream order, and where the next page starts
 */
export async function listJobPage(
  { jobs }: JobContext,
  queue: string,
  options: JobPageOptions,
): Promise<JobPage> {
  const { state, after = 0, limit = 50 } = options;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1_000) {
    throw new RangeError(`Cannot list a page of ${limit} jobs: give a limit from 1 to 1000`);
  }
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new RangeError(`Cannot list jobs after ${after}: give the next of a page, or 0`);
  }
  if (!await jobs.exists(queue)) return { jobs: [], next: null };
  // run messages up to the workers' delivered sequence are held by a worker: active
  const delivered = state === "waiting" || state === "active" ? await jobs.delivered(queue) : 0;
  const range = state === "waiting"
    ? { after: Math.max(after, delivered) }
    : state === "active"
    ? { after, through: delivered }
    : { after };
  // one more than the page, to tell whether another follows
  const read = await jobs.messages.page(queue, MESSAGE_OF[state], { ...range, limit: limit + 1 });
  const page = read.slice(0, limit);
  return {
    jobs: page.flatMap(({ message }) => jobFromMessage(queue, message, state === "active") ?? []),
    next: read.length > limit ? page.at(-1)!.message.seq : null,
  };
}

/**
 * Waits, without polling, until the job is completed, dead or cancelled.
 *
 * @param epoch from `Enqueued.epoch`, for a job this manager enqueued
 * @returns the finished record
 * @throws {NaqError} with code `NOT_FOUND` when the job is unknown (or its record expired)
 */
export function waitUntilFinished(
  { waiters }: JobContext,
  queue: string,
  jobId: string,
  signal?: AbortSignal,
  epoch?: number,
): Promise<FinishedJob> {
  // not async: one suspended frame less for each of a producer's many waiters
  return waiters.wait(queue, checkJobId(jobId), epoch, signal)
    .then((job) => job ?? Promise.reject(notFound(queue, jobId)));
}

/** The error for a job that is not there. */
export function notFound(queue: string, jobId: string): NaqError {
  return new NaqError(
    ErrorCode.NotFound,
    `Job ${jobId} is not in queue ${queue}: it never was, or its record expired (results.ttl)`,
  );
}
