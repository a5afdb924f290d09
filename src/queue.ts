/**
 * The producer's side of naq: enqueue jobs, look them up, cancel, retry, count, watch.
 *
 * @module
 */
import { timeoutSignal } from "./clock.ts";
import type { NaqConfig } from "./config/types.ts";
import { type FinishedJob, isFinished, type JobRecord, type JobState } from "./core/job.ts";
import type { JobEvent, JobEventType } from "./core/job_event.ts";
import { backoffMs, durationMs } from "./duration_options.ts";
import { checkPayload } from "./core/payload.ts";
import { ErrorCode, isNaqError, JobFailedError, NaqError, TimeoutError } from "./errors.ts";
import {
  DeadLetterService,
  type StoredDeadLetter,
} from "./services/business/dead_letter_service.ts";
import { eventHistoryDisabled } from "./services/business/event_history.ts";
import { EventService } from "./services/business/event_service.ts";
import {
  type Enqueued,
  type EnqueueRequest,
  JobService,
  type QueueStats,
} from "./services/business/jobs/job_service.ts";
import {
  type ScheduleChanges,
  type ScheduleDefinition,
  ScheduleService,
} from "./services/business/schedule_service.ts";
import type { MissedPolicy, ScheduleRecord, ScheduleTiming } from "./core/schedule.ts";
import { instantAfter, type InstantInput, parseInstant } from "./core/instant.ts";
import { checkQueueName } from "./core/names.ts";
import { parseSince, type SinceInput } from "./core/since.ts";
import { ConnectionService } from "./services/core/connection_service.ts";
import { ServiceManager } from "./services/core/service_manager.ts";
import { QueueStateService } from "./services/business/queue_state_service.ts";
import { WorkerRegistry } from "./services/business/worker_registry.ts";
import type { WorkerEntry } from "./core/worker_entry.ts";
import type { Task } from "./task.ts";
import type { BackoffInput, DurationInput } from "./config/types.ts";

/** Either a shared {@linkcode ServiceManager}, or a configuration to own one with. */
export type ServicesOption = { readonly services: ServiceManager } | { readonly config: NaqConfig };

/** Per-job options for `enqueue()`. */
export interface EnqueueOptions {
  /** The job's id; enqueueing the same id again returns the existing job. */
  readonly jobId?: string;
  /** Attempts in all. */
  readonly attempts?: number;
  /** Backoff between attempts; durations in ms or such as `"5s"`. */
  readonly backoff?: BackoffInput;
  /** Fail an attempt that runs longer than this: ms, or a duration such as `"30s"`. */
  readonly timeout?: DurationInput;
  /** Run no earlier than this long from now: ms, or a duration such as `"5m"`. */
  readonly delay?: DurationInput;
  /** Run no earlier than this instant. */
  readonly runAt?: InstantInput;
}

/** What {@linkcode Queue.delete} removed. */
export interface QueueDeleted {
  /** Whether the queue's stream existed, and was deleted with its consumers. */
  readonly stream: boolean;
  /** The messages its stream held: about one per job, pending or finished. */
  readonly messages: number;
  /** The schedules of the queue removed. */
  readonly schedules: number;
  /** The dead letters of the queue removed. */
  readonly deadLetters: number;
}

/** When a schedule fires: a cron pattern in a time zone (UTC by default), or an interval. */
export type ScheduleTimingInput =
  | { readonly cron: string; readonly tz?: string }
  | { readonly every: DurationInput };

/** A schedule's bounds and the options of the jobs it fires. */
export interface ScheduleOptions {
  /** Fire at most this many times in all. */
  readonly repeat?: number;
  /** Fire at no instant before this. An interval counts from here (else from creation). */
  readonly startAt?: InstantInput;
  /** Fire at no instant after this. */
  readonly endAt?: InstantInput;
  /** Firings missed while no scheduler ran: one job (`once`, the default) or none (`skip`). */
  readonly missed?: MissedPolicy;
  /** Attempts of each job. */
  readonly attempts?: number;
  /** Backoff of each job; durations in ms or such as `"5s"`. */
  readonly backoff?: BackoffInput;
  /** Timeout of each job's attempts: ms, or a duration such as `"30s"`. */
  readonly timeout?: DurationInput;
}

/** Changes for `updateSchedule()`; `null` clears a bound. */
export interface ScheduleUpdate {
  /** Another task, or task name. */
  readonly task?: Task<never, unknown> | string;
  /** Another payload. */
  readonly payload?: unknown;
  /** Another timing; the schedule restarts from now. */
  readonly timing?: ScheduleTimingInput;
  /** Another repeat count; `null` for none. */
  readonly repeat?: number | null;
  /** Another start; `null` for none. */
  readonly startAt?: InstantInput | null;
  /** Another end; `null` for none. */
  readonly endAt?: InstantInput | null;
  /** Another missed-firings policy. */
  readonly missed?: MissedPolicy;
}

/** One job for `enqueueMany()`. */
export interface EnqueueItem<P = unknown> {
  /** The task, or its name. */
  readonly task: Task<P, unknown> | string;
  /** The payload. */
  readonly payload: P;
  /** Per-job options. */
  readonly options?: EnqueueOptions;
}

/** Options for `result()`. */
export interface ResultOptions {
  /** Give up after this long: ms, or a duration such as `"30s"`. Waits forever when omitted. */
  readonly timeout?: DurationInput;
  /** Give up when aborted. */
  readonly signal?: AbortSignal;
}

/** An enqueued job: its id, its record at enqueue time, and a way to wait for its outcome. */
export interface JobHandle<R = unknown> {
  /** The job's id. */
  readonly id: string;
  /** Its queue. */
  readonly queue: string;
  /** The record as enqueued (or the existing job's, for a repeated id). */
  readonly job: JobRecord;
  /** True when a job of this id was known already, and this enqueue stored nothing. */
  readonly duplicate: boolean;
  /**
   * Waits, without polling, for the job to finish.
   *
   * @returns what the handler returned
   * @throws {JobFailedError} when the job is dead, with its last error as `cause`
   * @throws {NaqError} with code `JOB_CANCELLED` when it was cancelled
   * @throws {TimeoutError} when `timeout` passes first
   */
  result(options?: ResultOptions): Promise<R>;
}

/** Which jobs `listJobs()` returns. */
export interface ListJobsOptions {
  /** Only jobs in this state. */
  readonly state?: JobState;
  /** At most this many, newest first. Default 100. */
  readonly limit?: number;
}

/** Which events `events()` yields. */
export interface EventsOptions {
  /** Only these types. */
  readonly types?: readonly JobEventType[];
  /** Only this job's. */
  readonly jobId?: string;
  /**
   * Replays the stored events from this time on (by their `at`) before the live ones: a Date,
   * ms since the epoch, an ISO 8601 time, or a duration ago such as `"1h"`. The stream keeps
   * events for `events.maxAge`, within `events.maxBytes`. Live only when omitted.
   */
  readonly since?: SinceInput;
  /** Stops the iteration. */
  readonly signal?: AbortSignal;
}

/**
 * A named queue of jobs.
 *
 * @example Enqueue a job and wait for its result
 * ```ts
 * import { createConfig, defineTask, Queue } from "@naq/naq";
 *
 * const resize = defineTask("resize", (payload: { url: string }) => ({ ok: true }));
 * await using queue = new Queue("images", { config: createConfig() });
 * const job = await queue.enqueue(resize, { url: "https://example.com/a.png" });
 * console.log(await job.result({ timeout: "30s" }));
 * ```
 */
export class Queue implements AsyncDisposable {
  /** The queue's name. */
  readonly name: string;
  readonly #services: ServiceManager;
  readonly #ownsServices: boolean;
  #closed?: Promise<void>;

  /**
   * Creates a queue handle; nothing connects until the first call.
   *
   * @param name 1 to 214 letters, digits, `_` and `-`
   * @param options `{ services }` to share a connection, or `{ config }` to own one
   * @throws {TypeError} when the name has other characters, or is longer
   */
  constructor(name: string, options: ServicesOption) {
    this.name = checkQueueName(name);
    this.#ownsServices = !("services" in options);
    this.#services = "services" in options ? options.services : new ServiceManager(options.config);
  }

  /**
   * Enqueues a job and returns once it is stored.
   *
   * @param task the task, or its name
   * @param payload anything JSON carries unchanged: null, booleans, strings, finite numbers,
   *   arrays and plain objects of them (no functions, symbols, BigInts, NaN, Dates or cycles)
   * @param options id, attempts, backoff, timeout
   * @throws {TypeError} for a bad job id, or a payload JSON cannot carry, naming where in it
   * @throws {RangeError} for bad options, a `delay` or `runAt` past what a Date holds, or a
   *   message over the server's max payload
   * @throws {NaqError} with code `UNAVAILABLE` when the queue's stream had no leader to take
   *   the job for 30 s
   * @throws {ConnectionError} naming the servers when none could be reached for 30 s, or the
   *   connection was lost while the job was being stored (enqueue it again with its `jobId`)
   */
  async enqueue<P, R>(
    task: Task<P, R> | string,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<JobHandle<R>> {
    const request = toRequest(task, payload, options, this.#services.clock.now());
    return await this.#reaching(
      `enqueue a job of task ${request.task} to queue ${this.name}`,
      async () => {
        const job = await (await this.#jobs()).enqueue(this.name, request);
        return this.#handle<R>(job);
      },
    );
  }

  /**
   * Enqueues many jobs in one pipelined batch; handles come back in the same order. It is not
   * all or nothing: after a failure part way, some jobs are enqueued; with ids of your own
   * (`jobId`), enqueueing the batch again stores only the rest.
   *
   * @param items tasks (typed, or by name), payloads and per-job options; each item's payload
   *   is checked against its own task
   * @throws {TypeError} as {@linkcode enqueue} does, for any item, before any is stored
   * @throws {RangeError} as {@linkcode enqueue} does, for any item, before any is stored
   * @throws {NaqError} with code `UNAVAILABLE` when the queue's stream had no leader to take
   *   a job for 30 s
   * @throws {ConnectionError} as {@linkcode enqueue} does
   */
  async enqueueMany<Ps extends readonly unknown[]>(
    items: readonly [...{ [K in keyof Ps]: EnqueueItem<Ps[K]> }],
  ): Promise<JobHandle[]> {
    const now = this.#services.clock.now();
    const requests = (items as readonly EnqueueItem[]).map((item) =>
      toRequest(item.task, item.payload, item.options ?? {}, now)
    );
    return await this.#reaching(
      `enqueue ${requests.length} job${requests.length === 1 ? "" : "s"} to queue ${this.name}`,
      async () => {
        const jobs = await (await this.#jobs()).enqueueMany(this.name, requests);
        return jobs.map((job) => this.#handle(job));
      },
    );
  }

  /**
   * Checks a job as {@linkcode enqueue} would, without storing it: to validate a batch
   * before enqueueing any of it.
   *
   * @throws {TypeError} for a bad job id or task, or a payload JSON cannot carry
   * @throws {RangeError} for bad options, or a message over the server's max payload
   */
  async check<P>(
    task: Task<P, unknown> | string,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<void> {
    const request = toRequest(task, payload, options, this.#services.clock.now());
    await this.#reaching(`check a job of task ${request.task} for queue ${this.name}`, async () => {
      (await this.#jobs()).checkEnqueue(this.name, request);
    });
  }

  /** A job in any state, or `null` when unknown (or its record expired, see `results.ttl`). */
  async getJob(id: string): Promise<JobRecord | null> {
    return await (await this.#jobs()).getJob(this.name, id);
  }

  /**
   * A job's timeline: its events that the events stream holds now, in order (an empty list
   * for a job it holds none of). The stream keeps events by queue and by time, not by job:
   * this reads every event of the queue stored from the job's enqueue to its finish, or to now
   * while it has not finished (each a minute wider, for clocks that differ), and every one the
   * stream keeps when the job's record expired. It costs as much as the queue's events over
   * that time; for a job that ran an hour ago, in a busy queue, that is the hour's events.
   *
   * @param job the job's id, or its record when read already (which saves reading it again)
   * @example Print how a job went
   * ```ts ignore
   * for (const event of await queue.jobEvents("welcome-42")) console.log(event.type, event.at);
   * ```
   * @throws {TypeError} for a bad job id
   * @throws {ConfigError} when events are disabled (`events.enabled: false`)
   */
  async jobEvents(job: string | JobRecord): Promise<JobEvent[]> {
    if (!this.#services.config.events.enabled) throw eventHistoryDisabled();
    const id = typeof job === "string" ? job : job.id;
    const record = typeof job === "string" ? await this.getJob(job) : job;
    const events = await this.#services.get(EventService);
    return await events.timeline(this.name, id, {
      enqueuedAt: record?.enqueuedAt,
      finishedAt: record && isFinished(record) ? record.finishedAt : undefined,
    });
  }

  /**
   * Waits, without polling, for job `id` to finish, like the `result()` of its handle.
   *
   * @returns what the handler returned
   * @throws {JobFailedError} when the job is dead, with its last error as `cause`
   * @throws {NaqError} with code `JOB_CANCELLED` when it was cancelled, `NOT_FOUND` when unknown
   * @throws {TimeoutError} when `timeout` passes first
   */
  result<R = unknown>(id: string, options?: ResultOptions): Promise<R> {
    return this.#result<R>(id, options);
  }

  /**
   * Cancels a job that has not finished: a delayed or waiting one never runs, and a running
   * one has its `ctx.signal` aborted on whichever worker runs it. Its outcome is then dropped
   * and it ends `cancelled`. False when it is finished or unknown.
   */
  async cancel(id: string): Promise<boolean> {
    return await (await this.#jobs()).cancel(this.name, id);
  }

  /** Runs a dead job again from its first attempt. */
  async retry(id: string): Promise<JobRecord> {
    return await (await this.#jobs()).retry(this.name, id);
  }

  /**
   * Runs the job of a dead letter (from {@linkcode deadLetters}) again from its first
   * attempt; unlike `retry(id)`, this works after the job's record expired (`results.ttl`).
   *
   * @throws {RangeError} when the letter holds no job (a message that never was one)
   */
  async retryDeadLetter(letter: StoredDeadLetter): Promise<JobRecord> {
    if (!letter.job) {
      throw new RangeError(
        `Cannot retry dead letter ${letter.seq}: it is not a job (${letter.reason}); purge it`,
      );
    }
    return await (await this.#jobs()).retry(this.name, letter.job.id, letter);
  }

  /** Cancels every job that has not started; returns how many. */
  async purge(): Promise<number> {
    return await (await this.#jobs()).purge(this.name);
  }

  /**
   * Deletes the queue: its schedules first (so that none fires into it again), then its
   * stream with every job in it and its consumers, its dead letters and its paused flag.
   * Stop its workers first: a worker still running opens the queue again, empty, within a
   * second of its next failed pull, and runs what is enqueued to it after.
   *
   * @returns what was removed; all zeros and `stream: false` for a queue that did not exist
   */
  async delete(): Promise<QueueDeleted> {
    const schedules = await this.#schedules();
    let removedSchedules = 0;
    for (const schedule of await schedules.list(this.name)) {
      if (await schedules.remove(this.name, schedule.id)) removedSchedules++;
    }
    const { stream, messages } = await (await this.#jobs()).deleteQueue(this.name);
    const deadLetters = await this.purgeDeadLetters();
    if (await this.isPaused()) await this.resume();
    return { stream, messages, schedules: removedSchedules, deadLetters };
  }

  /**
   * Pauses the queue: its workers finish the jobs they run and start no other until
   * {@linkcode resume}. Jobs can still be enqueued, and delayed ones still come due.
   */
  async pause(): Promise<void> {
    await (await this.#services.get(QueueStateService)).pause(this.name);
  }

  /** Resumes a paused queue: its workers start jobs again within moments. */
  async resume(): Promise<void> {
    await (await this.#services.get(QueueStateService)).resume(this.name);
  }

  /** Whether the queue is paused. */
  async isPaused(): Promise<boolean> {
    return await (await this.#services.get(QueueStateService)).isPaused(this.name);
  }

  /**
   * Whether a worker ever took a job of this queue, or one waits for jobs now: to warn about
   * jobs that nothing may run (a typo in the queue's name, or no worker started yet).
   */
  async hasWorkers(): Promise<boolean> {
    return await (await this.#jobs()).hasWorkers(this.name);
  }

  /**
   * The workers taking jobs from this queue now, from the worker registry, oldest first: each
   * with its host, process, tasks, state and running jobs, as of its last heartbeat.
   */
  async workers(): Promise<WorkerEntry[]> {
    return await (await this.#services.get(WorkerRegistry)).list({ queue: this.name });
  }

  /** Counts jobs per state. */
  async stats(): Promise<QueueStats> {
    return await (await this.#jobs()).stats(this.name);
  }

  /**
   * Lists this queue's jobs, newest first: a scan of its records, for operators, not hot paths.
   *
   * @param options `state` keeps only jobs in that state; `limit` (default 100) caps the list
   */
  async listJobs(options: ListJobsOptions = {}): Promise<JobRecord[]> {
    return await (await this.#jobs()).listJobs(this.name, options);
  }

  /** Lists dead letters, oldest first. */
  async deadLetters(limit = 100): Promise<StoredDeadLetter[]> {
    return await (await this.#services.get(DeadLetterService)).list(this.name, limit);
  }

  /** Removes every dead letter of this queue; returns how many. */
  async purgeDeadLetters(): Promise<number> {
    return await (await this.#services.get(DeadLetterService)).purge(this.name);
  }

  /**
   * Yields this queue's events as they happen. The subscription starts with this call, not
   * with the first `next()`, so events of jobs enqueued right after it are not missed.
   *
   * With `since`, it first replays the stored events from then on, then goes on live, with
   * none missed or doubled in between: it reads them all from the events stream, live ones
   * included, which hands them on once stored. The replay reads the queue's stored events
   * from a minute before `since` (by the server's clock) and keeps those whose `at` is
   * `since` or later; `types` and `jobId` filter what it read. It asks nothing of the server
   * before the first `next()`, and misses nothing for it: it starts from `since`.
   *
   * @example Follow one job
   * ```ts
   * import type { JobHandle, Queue } from "@naq/naq";
   * declare const queue: Queue, job: JobHandle;
   *
   * for await (const event of queue.events({ jobId: job.id })) {
   *   console.log(event.type);
   *   if (event.type === "completed" || event.type === "dead") break;
   * }
   * ```
   * @example The last hour's failures, then the new ones
   * ```ts ignore
   * for await (const event of queue.events({ since: "1h", types: ["failed"] })) {
   *   console.log(event.jobId, event.data);
   * }
   * ```
   * @throws {RangeError} when `since` is not a time or a duration
   * @throws {ConfigError} with `since`, when events are disabled (`events.enabled: false`)
   */
  events(options: EventsOptions = {}): AsyncIterableIterator<JobEvent> {
    const since = options.since === undefined
      ? undefined
      : parseSince(options.since, this.#services.clock.now());
    if (since !== undefined && !this.#services.config.events.enabled) {
      throw eventHistoryDisabled();
    }
    const subscription = this.#services.get(EventService)
      .then((events) => events.subscribe({ queue: this.name, ...options, since }));
    return (async function* () {
      yield* await subscription;
    })();
  }

  /**
   * Fires a job of `task` with `payload` at every instant of `timing`, from any running
   * {@linkcode Scheduler}. Each firing is a job of its own, whose record names the schedule
   * and the instant. Calling it again with the same id replaces the definition (an
   * application can declare its schedules at every start); an unchanged definition is kept
   * as it is, firings and pause included.
   *
   * @example Every weekday at 09:00 in Paris
   * ```ts
   * import { defineTask, type Queue } from "@naq/naq";
   * declare const queue: Queue;
   * const report = defineTask("report", (payload: { to: string }) => payload.to);
   *
   * await queue.schedule("morning-report", report, { to: "ops" }, {
   *   cron: "0 9 * * 1-5",
   *   tz: "Europe/Paris",
   * });
   * ```
   * @throws {TypeError} for a bad id or task
   * @throws {RangeError} for a bad cron pattern, time zone, interval, bound or job option
   */
  async schedule<P>(
    id: string,
    task: Task<P, unknown> | string,
    payload: P,
    timing: ScheduleTimingInput,
    options: ScheduleOptions = {},
  ): Promise<ScheduleRecord> {
    const request = toRequest(task, payload, options, 0);
    const definition: ScheduleDefinition = {
      task: request.task,
      payload: request.payload,
      timing: toTiming(timing),
      missed: options.missed,
      jobOptions: {
        attempts: request.attempts,
        backoff: request.backoff,
        timeoutMs: request.timeoutMs,
      },
      repeat: options.repeat,
      startAt: options.startAt === undefined ? undefined : parseInstant(options.startAt, "startAt"),
      endAt: options.endAt === undefined ? undefined : parseInstant(options.endAt, "endAt"),
    };
    return await (await this.#schedules()).upsert(this.name, id, definition);
  }

  /** The schedule, or `null` when this queue has none with this id. */
  async getSchedule(id: string): Promise<ScheduleRecord | null> {
    return await (await this.#schedules()).get(this.name, id);
  }

  /** This queue's schedules, by id. */
  async listSchedules(): Promise<ScheduleRecord[]> {
    return await (await this.#schedules()).list(this.name);
  }

  /**
   * Pauses a schedule: it fires nothing until resumed.
   *
   * @throws {NaqError} with code `NOT_FOUND`
   */
  async pauseSchedule(id: string): Promise<ScheduleRecord> {
    return await (await this.#schedules()).pause(this.name, id);
  }

  /**
   * Resumes a paused schedule from now; instants passed while paused do not fire.
   *
   * @throws {NaqError} with code `NOT_FOUND`
   */
  async resumeSchedule(id: string): Promise<ScheduleRecord> {
    return await (await this.#schedules()).resume(this.name, id);
  }

  /**
   * Changes a schedule. Refused with `CONFLICT` when someone else changed it while this call
   * ran, or since `version` (the `version` you read) when given: a concurrent update is
   * refused, never silently lost. Its own firings do not count as changes.
   *
   * @throws {NaqError} with code `NOT_FOUND` or `CONFLICT`
   */
  async updateSchedule(
    id: string,
    changes: ScheduleUpdate,
    options: { readonly version?: number } = {},
  ): Promise<ScheduleRecord> {
    const converted: Record<string, unknown> = {};
    if ("task" in changes && changes.task !== undefined) {
      converted.task = typeof changes.task === "string" ? changes.task : changes.task.name;
    }
    if ("payload" in changes) {
      if (changes.payload !== undefined) checkPayload(changes.payload);
      converted.payload = changes.payload ?? null;
    }
    if (changes.timing !== undefined) converted.timing = toTiming(changes.timing);
    if (changes.missed !== undefined) converted.missed = changes.missed;
    if ("repeat" in changes) converted.repeat = changes.repeat ?? undefined;
    for (const field of ["startAt", "endAt"] as const) {
      if (!(field in changes)) continue;
      const value = changes[field];
      converted[field] = value === null || value === undefined
        ? undefined
        : parseInstant(value, field);
    }
    return await (await this.#schedules()).update(
      this.name,
      id,
      converted as ScheduleChanges,
      options,
    );
  }

  /** Removes a schedule; the jobs it fired stay. False when there was none. */
  async removeSchedule(id: string): Promise<boolean> {
    return await (await this.#schedules()).remove(this.name, id);
  }

  /** Closes the connection when this queue owns it; idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#ownsServices ? this.#services.close() : Promise.resolve();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The job service, for a call that only reads: one that comes while the server is down
   * waits for it to come back, and tries again if the connection dropped while it started.
   */
  async #jobsWhenReachable(what: string): Promise<JobService> {
    for (let tries = 1;; tries++) {
      try {
        return await this.#reaching(what, () => this.#jobs());
      } catch (err) {
        const back = (await this.#services.get(ConnectionService)).connected;
        if (tries >= 3 || !back || !isNaqError(err, ErrorCode.Connection)) throw err;
      }
    }
  }

  #jobs(): Promise<JobService> {
    return this.#services.get(JobService);
  }

  /** Runs `operation` so that a server out of reach fails it with a `ConnectionError`. */
  async #reaching<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const connection = await this.#services.get(ConnectionService);
    return await connection.reaching(what, operation);
  }

  #schedules(): Promise<ScheduleService> {
    return this.#services.get(ScheduleService);
  }

  #handle<R>(enqueued: Enqueued): JobHandle<R> {
    const { job, duplicate } = enqueued;
    let { epoch } = enqueued;
    // once known, a final outcome is the handle's: a second result() need not wait or read
    let finished: FinishedJob | undefined;
    const onFinished = (record: FinishedJob) => {
      if (record.state !== "dead") finished = record;
      // a dead job can be retried, by anyone: its next outcome is read, not awaited here
      else epoch = undefined;
    };
    return {
      id: job.id,
      queue: this.name,
      job,
      duplicate,
      result: (options) => this.#result<R>(job.id, options, epoch, finished, onFinished),
    };
  }

  async #result<R>(
    id: string,
    options: ResultOptions = {},
    epoch?: number,
    known?: FinishedJob,
    onFinished?: (job: FinishedJob) => void,
  ): Promise<R> {
    if (known) return this.#outcome<R>(id, known);
    const jobs = await this.#jobsWhenReachable(`wait for job ${id} of queue ${this.name}`);
    const timeoutMs = options.timeout === undefined
      ? undefined
      : durationMs(options.timeout, "timeout");
    const timeout = timeoutMs === undefined
      ? undefined
      : timeoutSignal(this.#services.clock, timeoutMs);
    const signals = [options.signal, timeout?.signal]
      .filter((signal): signal is AbortSignal => signal !== undefined);
    // a waiter is cheap: 20,000 of them must not each hold a combined signal for nothing
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    let job: FinishedJob;
    try {
      job = await jobs.waitUntilFinished(this.name, id, signal, epoch);
    } catch (err) {
      if (err instanceof DOMException && err.name === "TimeoutError") {
        throw new TimeoutError(
          `Job ${id} in queue ${this.name} did not finish within ${timeoutMs} ms`,
        );
      }
      throw err;
    } finally {
      timeout?.cancel();
    }
    onFinished?.(job);
    return this.#outcome<R>(id, job);
  }

  /** What `result()` gives for a finished job: its result, or the error it ended with. */
  #outcome<R>(id: string, job: FinishedJob): R {
    if (job.state === "completed") return job.result as R;
    if (job.state === "cancelled") {
      throw new NaqError(ErrorCode.JobCancelled, `Job ${id} in queue ${this.name} was cancelled`);
    }
    const last = job.errors.at(-1);
    const cause = Object.assign(new Error(last?.message ?? job.deadReason), {
      name: last?.name ?? "Error",
      stack: last?.stack,
    });
    throw new JobFailedError(
      id,
      `Job ${id} (task ${job.task}) in queue ${this.name} failed for good: ${job.deadReason}; ` +
        `last error: ${last?.message ?? "none"}`,
      job.errors.map((error) => error.message),
      { cause },
    );
  }
}

function toRequest<P>(
  task: Task<P, unknown> | string,
  payload: P,
  options: EnqueueOptions,
  now: number,
): EnqueueRequest {
  // no payload at all (a task that takes none) is sent as null, as it always was
  if (payload !== undefined) checkPayload(payload);
  const { timeout } = options;
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new TypeError("Cannot enqueue with both delay and runAt: give one of them");
  }
  const runAt = options.runAt !== undefined
    ? parseInstant(options.runAt, "runAt")
    : options.delay !== undefined
    ? instantAfter(now, durationMs(options.delay, "delay"), "delay")
    : undefined;
  return {
    runAt,
    task: typeof task === "string" ? task : task.name,
    payload,
    jobId: options.jobId,
    attempts: options.attempts,
    // an option not given keeps the task's, or the queue's
    backoff: backoffMs(options.backoff ?? {}),
    timeoutMs: timeout === undefined ? undefined : durationMs(timeout, "timeout"),
    taskOptions: typeof task === "string" ? undefined : task.options,
  };
}

function toTiming(timing: ScheduleTimingInput): ScheduleTiming {
  if (timing && "every" in timing) return { every: durationMs(timing.every, "every") };
  return timing;
}
