import type { FinishedJob, JobRecord, JobState } from "../../../core/job.ts";
import type { ServiceManager } from "../../core/service_manager.ts";
import { ConnectionService } from "../../core/connection_service.ts";
import { DeadLetterService, type StoredDeadLetter } from "../dead_letter_service.ts";
import { EventService } from "../event_service.ts";
import { cancelJob, purgeJobs } from "./cancel_jobs.ts";
import { checkEnqueue, type Enqueued, enqueueJobs, type EnqueueRequest } from "./enqueue_jobs.ts";
import type { JobContext } from "./job_context.ts";
import { JobStreams } from "./job_streams.ts";
import {
  countJobs,
  getJob,
  type JobPage,
  type JobPageOptions,
  listJobPage,
  listJobs,
  type QueueStats,
  waitUntilFinished,
} from "./read_jobs.ts";
import { ResultWaiters } from "./result_waiters.ts";
import { retryJob } from "./retry_job.ts";

export type { Enqueued, EnqueueRequest } from "./enqueue_jobs.ts";
export type { JobPage, JobPageOptions, QueueStats } from "./read_jobs.ts";

/**
 * Jobs from the producer's side: enqueue, read, cancel, retry, purge, count, and wait for an
 * outcome. Each verb is a file of its own in this folder; a job is its messages in its
 * queue's stream (see {@linkcode JobStreams}), and the worker's side is
 * `WorkerJobs`.
 */
export class JobService {
  readonly #context: JobContext;

  private constructor(context: JobContext) {
    this.#context = context;
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<JobService> {
    const [jobs, connection, events, deadLetters] = await Promise.all([
      services.get(JobStreams),
      services.get(ConnectionService),
      services.get(EventService),
      services.get(DeadLetterService),
    ]);
    const waiters = new ResultWaiters(
      connection,
      jobs.names,
      services.clock,
      // called once a waiter reads, after `context` below exists
      (queue, jobId) => getJob(context, queue, jobId),
    );
    const context: JobContext = {
      jobs,
      connection,
      events,
      deadLetters,
      waiters,
      clock: services.clock,
      config: services.config,
    };
    return new JobService(context);
  }

  /** Rejects every `result()` still waiting: the manager is closing. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#context.waiters.close();
    return Promise.resolve();
  }

  /**
   * Ensures the queue's stream exists.
   *
   * @throws {ConfigError} when the stream holds jobs in the layout of an earlier naq
   */
  ensureQueue(queue: string): Promise<void> {
    return this.#context.jobs.ensure(queue);
  }

  /**
   * Enqueues one job and returns its record once the job is stored: one message, whose
   * compare-and-swap refuses a second job of the same id while the first is known.
   *
   * @throws {TypeError} for a bad job id or task name
   * @throws {RangeError} when the job's message is over the server's max payload
   * @throws {NaqError} with code `UNAVAILABLE` when the queue's stream had no leader to take
   *   it for 30 s
   */
  async enqueue(queue: string, request: EnqueueRequest): Promise<Enqueued> {
    return (await enqueueJobs(this.#context, queue, [request]))[0];
  }

  /**
   * Enqueues many jobs in one pipelined batch: up to 512 publishes are in flight together,
   * each its own compare-and-swap (not an atomic batch: nats-server 2.15 does not apply a
   * per-message expected sequence within one). Each job is stored or not on its own: after
   * a failure part way, some of the jobs are enqueued; enqueue again with their ids.
   *
   * @returns each job, in the order of `requests`
   */
  enqueueMany(queue: string, requests: readonly EnqueueRequest[]): Promise<Enqueued[]> {
    return enqueueJobs(this.#context, queue, requests);
  }

  /**
   * Checks a job as `enqueue()` would, without enqueueing it: for schedules, so that nothing
   * is stored that could never fire.
   *
   * @throws {TypeError} for a bad job id or task name
   * @throws {RangeError} for bad options, or a message over the server's max payload
   */
  checkEnqueue(queue: string, request: EnqueueRequest): void {
    checkEnqueue(this.#context, queue, request);
  }

  /** Reads a job in any state; `null` when unknown or expired (see `results.ttl`). */
  getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    return getJob(this.#context, queue, jobId);
  }

  /**
   * Cancels a job that has not finished; see `cancelJob()`.
   *
   * @returns true when cancelled; false when unknown or finished
   */
  cancel(queue: string, jobId: string): Promise<boolean> {
    return cancelJob(this.#context, queue, jobId);
  }

  /**
   * Runs a dead job again from its first attempt, and removes its dead letter.
   *
   * @param letter the job's dead letter, which stands in for its record once that expired
   * @throws {NaqError} with code `NOT_FOUND` when the job is unknown
   * @throws {RangeError} when the job is not dead
   */
  retry(queue: string, jobId: string, letter?: StoredDeadLetter): Promise<JobRecord> {
    return retryJob(this.#context, queue, jobId, letter);
  }

  /**
   * Cancels every job of the queue that has not started.
   *
   * @param onProgress told after each job, for a progress display
   * @returns how many were cancelled
   */
  purge(queue: string, onProgress?: (done: number, total: number) => void): Promise<number> {
    return purgeJobs(this.#context, queue, onProgress);
  }

  /** Counts the queue's jobs per state, from counts the server keeps: no record is read. */
  stats(queue: string): Promise<QueueStats> {
    return countJobs(this.#context, queue);
  }

  /**
   * Lists the queue's jobs, newest first, for operators, not hot paths.
   *
   * @param options `state` keeps only jobs in that state; `limit` (default 100) caps the list
   */
  listJobs(
    queue: string,
    options: { readonly state?: JobState; readonly limit?: number } = {},
  ): Promise<JobRecord[]> {
    return listJobs(this.#context, queue, options);
  }

  /**
   * Reads one page of the queue's jobs in one state, without reading the rest of the queue.
   *
   * @throws {RangeError} for a limit outside 1..1000, or a negative `after`
   */
  listJobPage(queue: string, options: JobPageOptions): Promise<JobPage> {
    return listJobPage(this.#context, queue, options);
  }

  /** How many messages the queue's stream holds (about one per job); `null` with no stream. */
  messageCount(queue: string): Promise<number | null> {
    return this.#context.jobs.messageCount(queue);
  }

  /**
   * Deletes the queue's stream with every job in it and its consumers.
   *
   * @returns whether there was a stream, and how many messages it held
   */
  deleteQueue(queue: string): Promise<{ stream: boolean; messages: number }> {
    return this.#context.jobs.delete(queue);
  }

  /**
   * Whether a worker ever took a job from the queue, or one is waiting for jobs now: the
   * workers' consumer delivered a message, or holds a pull request. (`stats()` may have made
   * the consumer without any worker, so its being there says nothing.)
   */
  async hasWorkers(queue: string): Promise<boolean> {
    const state = await this.#context.jobs.workersState(queue);
    return state !== null && (state.deliveredSeq > 0 || state.pulls > 0);
  }

  /** The names of every queue that has a stream under this prefix, sorted. */
  queues(): Promise<string[]> {
    return this.#context.jobs.queues();
  }

  /**
   * Waits, without polling, until the job is completed, dead or cancelled.
   *
   * @param epoch from {@linkcode Enqueued.epoch}, for a job this manager enqueued
   * @returns the finished record
   * @throws {NaqError} with code `NOT_FOUND` when the job is unknown (or its record expired)
   */
  waitUntilFinished(
    queue: string,
    jobId: string,
    signal?: AbortSignal,
    epoch?: number,
  ): Promise<FinishedJob> {
    return waitUntilFinished(this.#context, queue, jobId, signal, epoch);
  }
}
