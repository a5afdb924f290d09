import { JetStreamApiError } from "@nats-io/jetstream";
import type { BackoffSettings, QueueSettings } from "../config/types.ts";
import { queueSettings } from "../config/mod.ts";
import type { Clock } from "../clock.ts";
import {
  checkJobId,
  encodeEnvelope,
  encodeJson,
  type GivenOptions,
  type JobEnvelope,
  parseEnvelope,
  resolveJobOptions,
  toEnvelope,
  waitingRecord,
} from "../core/envelope.ts";
import {
  isFinished,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type ScheduleFiring,
} from "../core/job.ts";
import { bodyLimit } from "../core/fit.ts";
import { jobFromMessage } from "../core/job_view.ts";
import { type WireNames, wireNames } from "../core/names.ts";
import { inWindows } from "../core/in_windows.ts";
import { ConfigError, ErrorCode, NaqError } from "../errors.ts";
import { ConnectionService } from "./connection_service.ts";
import { claimJob } from "./claim_job.ts";
import type { ClaimedJob, Delivery } from "./claimed_job.ts";
import { DeadLetterService, type StoredDeadLetter } from "./dead_letter_service.ts";
import { EventService } from "./event_service.ts";
import { type JobMessage, JobMessages } from "./job_messages.ts";
import type { ServiceManager } from "./service_manager.ts";
import { ResultWaiters } from "./result_waiters.ts";
import { QueueConsumer } from "./queue_consumer.ts";
import { retryWhileLeaderless } from "./retry_while_leaderless.ts";
import { StreamService } from "./stream_service.ts";

/** What to enqueue: a task by name, its payload, and per-job options. */
export interface EnqueueRequest {
  /** The task's name; a worker must have a task registered under it. */
  readonly task: string;
  /** The payload, anything JSON can carry. */
  readonly payload: unknown;
  /** The job's id; the same id enqueued twice runs once. A random UUID when omitted. */
  readonly jobId?: string;
  /** Attempts in all; the task's, else the queue's `attempts` when omitted. */
  readonly attempts?: number;
  /** Backoff between attempts, over the task's and the queue's. */
  readonly backoff?: Partial<BackoffSettings>;
  /** Fail an attempt that runs longer than this many ms; the task's, else none when omitted. */
  readonly timeoutMs?: number;
  /** Options of the task when the producer has it; a worker applies its own task's anyway. */
  readonly taskOptions?: GivenOptions;
  /** Run no earlier than this, in ms since the epoch; at once when omitted or past. */
  readonly runAt?: number;
  /** The schedule firing that enqueues it. */
  readonly schedule?: ScheduleFiring;
}

/** A job as enqueue stored it, or found it. */
export interface Enqueued {
  /** The job's record. */
  readonly job: JobRecord;
  /** True when a job of that id was there already, and this call stored nothing. */
  readonly duplicate: boolean;
  /** For {@linkcode JobService.waitUntilFinished}: this manager hears when the job finishes. */
  readonly epoch?: number;
}

/** Counts of a queue's jobs per state. */
export type QueueStats = Record<JobState, number>;

/** What the worker running a job says of it. */
export type RunningJob = Pick<JobRecord, "worker" | "startedAt" | "attempt" | "progress">;

// how long getJob() waits for the worker running a job to say so (real time: the worker's)
const RUNNING_ANSWER_MS = 500;

// un-awaited publishes in flight at once during enqueueMany: enough to fill the pipe
const PUBLISH_WINDOW = 512;

/**
 * Jobs from the producer's side: enqueue, read, cancel, retry, purge, count, and wait for an
 * outcome. A job is its messages in its queue's stream (see {@linkcode JobMessages}); the
 * worker's side of a job is {@linkcode ClaimedJob}.
 */
export class JobService {
  readonly #services: ServiceManager;
  readonly #connection: ConnectionService;
  readonly #streams: StreamService;
  readonly #events: EventService;
  readonly #deadLetters: DeadLetterService;
  readonly #messages: JobMessages;
  readonly #names: WireNames;
  readonly #clock: Clock;
  readonly #waiters: ResultWaiters;
  readonly #reensuring = new Map<string, Promise<void>>();
  readonly #layoutChecked = new Set<string>();
  /** Each queue's settings, resolved once: the config is frozen, and a job is cheap. */
  readonly #settings = new Map<string, QueueSettings>();

  private constructor(
    services: ServiceManager,
    deps: {
      connection: ConnectionService;
      streams: StreamService;
      events: EventService;
      deadLetters: DeadLetterService;
    },
  ) {
    this.#services = services;
    this.#connection = deps.connection;
    this.#streams = deps.streams;
    this.#events = deps.events;
    this.#deadLetters = deps.deadLetters;
    this.#names = wireNames(services.config.prefix);
    this.#clock = services.clock;
    this.#messages = new JobMessages(deps.connection, this.#names, services.clock);
    this.#waiters = new ResultWaiters(
      deps.connection,
      this.#names,
      services.clock,
      (queue, jobId) => this.getJob(queue, jobId),
    );
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<JobService> {
    const [connection, streams, events, deadLetters] = await Promise.all([
      services.get(ConnectionService),
      services.get(StreamService),
      services.get(EventService),
      services.get(DeadLetterService),
    ]);
    return new JobService(services, { connection, streams, events, deadLetters });
  }

  /** Rejects every `result()` still waiting: the manager is closing. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#waiters.close();
    return Promise.resolve();
  }

  /** The queue's job messages; the worker side writes outcomes through it too. */
  get messages(): JobMessages {
    return this.#messages;
  }

  /**
   * Ensures the queue's work-queue stream exists, with schedules and TTLs allowed.
   *
   * @throws {ConfigError} when the stream holds jobs in the layout of an earlier naq
   */
  async ensureQueue(queue: string): Promise<void> {
    const name = this.#names.queueStream(queue);
    if (!this.#layoutChecked.has(queue)) {
      const old = `${this.#names.prefix}.queue.${queue}`;
      const info = await retryWhileLeaderless(this.#clock, {
        what: `read the stream of queue ${queue}`,
        stream: name,
        write: () => this.#streams.info(name),
      });
      // updating it to one message per subject would have the server drop all but one
      if (info?.config.subjects?.includes(old)) {
        throw new ConfigError(
          `Stream ${name} holds the jobs of queue ${queue} as an earlier naq stored them, on ` +
            `one subject (${old}); this naq keeps each job on subjects of its own and would ` +
            `lose them. Let the earlier naq's workers drain the queue, delete the stream ` +
            `(nats stream rm ${name}), then start this one`,
        );
      }
      this.#layoutChecked.add(queue);
    }
    await this.#streams.ensure({
      name,
      subjects: this.#names.queueSubjects(queue),
      retention: "workqueue",
      replicas: this.#services.config.streams.replicas,
      maxPerSubject: 1,
      scheduled: true,
      direct: true,
    });
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
    const [enqueued] = await this.enqueueMany(queue, [request]);
    return enqueued;
  }

  /**
   * Enqueues many jobs in one pipelined batch: up to 512 publishes are in flight together,
   * each its own compare-and-swap (not an atomic batch: nats-server 2.15 does not apply a
   * per-message expected sequence within one). Each job is stored or not on its own: after
   * a failure part way, some of the jobs are enqueued; enqueue again with their ids.
   *
   * @returns each job, in the order of `requests`
   */
  async enqueueMany(queue: string, requests: readonly EnqueueRequest[]): Promise<Enqueued[]> {
    await this.ensureQueue(queue);
    const settings = this.#queueSettings(queue);
    const envelopes = requests.map((request) => this.#envelope(settings, request));
    const bodies = envelopes.map((envelope) => this.#encodeWithinLimit(queue, envelope));
    const now = this.#clock.now();
    // listen before the jobs go out: the subscription then precedes every notice
    const epoch = await this.#waiters.listening();
    const notify = this.#waiters.notifySubject;
    return await inWindows(envelopes, PUBLISH_WINDOW, async (envelope, i) => {
      const runAt = requests[i].runAt;
      const delayed = runAt !== undefined && runAt > now;
      // an id used again: a notice kept of its earlier job is not this one's (and this one's
      // may come before the write below returns)
      this.#waiters.forget(queue, envelope.id);
      const seq = await this.#messages.write(
        queue,
        envelope.id,
        delayed ? "delayed" : "run",
        bodies[i],
        {
          attempt: 0,
          runAt: delayed ? runAt : undefined,
          notify,
          expectLast: 0,
          msgID: envelope.nonce,
        },
        () => this.#ensureQueueAgain(queue),
      );
      if (seq === null) {
        // the id is taken: by a job still pending, running or finished (until results.ttl)
        // not asking its worker: a duplicate enqueue must not wait for an answer
        const latest = await this.#messages.latest(queue, envelope.id);
        const existing = latest && await this.#recordOf(queue, latest, false);
        if (existing) return { job: existing, duplicate: true };
        if (latest) {
          throw new RangeError(
            `Cannot enqueue job ${envelope.id} in queue ${queue}: its id is taken by a ` +
              `message that is not a naq job; remove it, or use another id`,
          );
        }
        // it finished and expired between the write and the read: try again
        return await this.enqueue(queue, requests[i]);
      }
      const record: JobRecord = delayed
        ? { ...waitingRecord(queue, envelope), state: "delayed", runAt, seq }
        : { ...waitingRecord(queue, envelope), seq };
      this.#events.emitJob("enqueued", record);
      return { job: record, duplicate: false, epoch };
    });
  }

  /** Reads a job in any state; `null` when unknown or expired (see `results.ttl`). */
  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const message = await this.#messages.latest(queue, checkJobId(jobId));
    return message && await this.#recordOf(queue, message);
  }

  /**
   * The record a job's latest message shows.
   *
   * @param askWorker ask the worker running an active job for who, since when and progress
   */
  async #recordOf(
    queue: string,
    message: JobMessage,
    askWorker = true,
  ): Promise<JobRecord | null> {
    const delivered = message.kind === "run" && message.seq <= await this.#delivered(queue);
    const job = jobFromMessage(queue, message, delivered);
    if (job?.state !== "active" || !askWorker) return job;
    // the worker running it knows the rest: who it is, since when, and how far it got
    const running = await this.#connection.nc.request(
      this.#names.runningSubject(queue, job.id),
      undefined,
      { timeout: RUNNING_ANSWER_MS }, // real time: the worker answers on its own
    ).then((reply) => reply.json<RunningJob>(), () => null);
    return running ? { ...job, ...running } : job;
  }

  /** The stream sequence up to which the queue's workers have been handed messages. */
  async #delivered(queue: string): Promise<number> {
    const jsm = await this.#connection.jetstreamManager();
    const stream = this.#names.queueStream(queue);
    const info = await retryWhileLeaderless(this.#clock, {
      what: `read the workers' consumer of queue ${queue}`,
      stream,
      write: () => jsm.consumers.info(stream, this.#names.queueConsumer(queue)),
    }).catch((err) => {
      // none yet (or no stream): no worker was ever handed a job
      if (err instanceof JetStreamApiError) return null;
      throw err;
    });
    return info?.delivered.stream_seq ?? 0;
  }

  /**
   * Cancels a job that has not finished. A delayed or waiting job never runs; a running one
   * has its `ctx.signal` aborted on whichever worker runs it, and its outcome is dropped.
   *
   * @param options `notStarted` leaves a running job alone (returns false), as `purge()` does
   * @returns true when cancelled; false when unknown or finished
   */
  async cancel(
    queue: string,
    jobId: string,
    options: { readonly notStarted?: boolean } = {},
  ): Promise<boolean> {
    checkJobId(jobId);
    while (true) {
      const latest = await this.#messages.latest(queue, jobId);
      const job = latest && await this.#recordOf(queue, latest);
      if (!latest || !job || isFinished(job.state)) return false;
      if (options.notStarted && job.state === "active") return false;
      const cancelled: JobRecord = {
        ...job,
        state: "cancelled",
        finishedAt: this.#clock.now(),
        retryAt: undefined,
        runAt: undefined,
      };
      const scheduled = latest.kind === "delayed" || latest.kind === "retry";
      // a schedule goes first: once removed it cannot fire; if it fired meanwhile, the job
      // is a run message now, which the next turn cancels
      if (scheduled && !await this.#messages.remove(queue, latest.seq)) continue;
      const write = () =>
        this.#messages.write(queue, jobId, "cancelled", encodeJson(cancelled), {
          attempt: job.attempt,
          // a job with a schedule has no other message left
          expectLast: scheduled ? 0 : latest.seq,
          ttlMs: this.#services.config.results.ttl,
        });
      // once its schedule is removed, the job is this record or nothing: try it again
      const seq = await write().catch((err) => scheduled ? write() : Promise.reject(err));
      if (seq === null) continue; // it moved on meanwhile: look again
      if (!scheduled) {
        // always, and first: a worker may be taking the message at this very moment
        this.#connection.nc.publish(this.#names.cancelSubject(queue, jobId), job.nonce);
        await this.#messages.remove(queue, latest.seq);
      }
      this.#notify(latest.notify, cancelled);
      this.#events.emitJob("cancelled", cancelled);
      return true;
    }
  }

  /** Sends a finished record to the producer waiting on it. */
  #notify(subject: string | undefined, job: JobRecord): void {
    if (subject) this.#connection.nc.publish(subject, encodeJson(job));
  }

  /**
   * Runs a dead job again from its first attempt, and removes its dead letter.
   *
   * @param letter the job's dead letter, which stands in for its record once that expired
   * @throws {NaqError} with code `NOT_FOUND` when the job is unknown
   * @throws {RangeError} when the job is not dead
   */
  async retry(queue: string, jobId: string, letter?: StoredDeadLetter): Promise<JobRecord> {
    checkJobId(jobId);
    const latest = await this.#messages.latest(queue, jobId);
    const current = latest ? await this.#recordOf(queue, latest) : letter && letterJob(letter);
    if (!current || current.id !== jobId) throw notFound(queue, jobId);
    if (current.state !== "dead") {
      throw new RangeError(
        `Cannot retry job ${jobId} in queue ${queue}: it is ${current.state}, ` +
          `and only dead jobs can be retried`,
      );
    }
    const { deadLetterSeq, ...job } = current;
    const revived: JobRecord = {
      ...job,
      state: "waiting",
      attempt: 0,
      nonce: crypto.randomUUID(),
      errors: [],
      finishedAt: undefined,
      deadReason: undefined,
      seq: undefined,
    };
    await this.ensureQueue(queue);
    await this.#waiters.listening(); // its outcome comes here, for queue.result(id) to hear
    const seq = await this.#messages.write(
      queue,
      jobId,
      "run",
      encodeEnvelope(toEnvelope(revived)),
      {
        attempt: 0,
        notify: this.#waiters.notifySubject,
        expectLast: latest?.seq ?? 0,
        msgID: revived.nonce,
      },
    );
    if (seq === null) {
      throw new NaqError(
        ErrorCode.Conflict,
        `Cannot retry job ${jobId} in queue ${queue}: it changed meanwhile; look at it again`,
      );
    }
    this.#waiters.forget(queue, jobId);
    if (latest) await this.#messages.remove(queue, latest.seq);
    const letterSeq = deadLetterSeq ?? letter?.seq;
    if (letterSeq !== undefined) await this.#deadLetters.remove(letterSeq);
    this.#events.emitJob("enqueued", revived);
    return { ...revived, seq };
  }

  /**
   * Cancels every job of the queue that has not started (delayed, waiting, or waiting to
   * retry).
   *
   * @param onProgress told after each job, for a progress display
   * @returns how many were cancelled
   */
  async purge(queue: string, onProgress?: (done: number, total: number) => void): Promise<number> {
    // cancel, not a stream purge: that would also delete the messages of running jobs
    if (!await this.#streams.info(this.#names.queueStream(queue))) return 0;
    const delivered = await this.#delivered(queue);
    const pending: string[] = [];
    for await (const { jobId, message } of this.#messages.all(queue)) {
      const waiting = message.kind === "run" && message.seq > delivered;
      if (waiting || message.kind === "delayed" || message.kind === "retry") pending.push(jobId);
    }
    let done = 0;
    const cancelled = await inWindows(pending, PUBLISH_WINDOW, async (id) => {
      const ok = await this.cancel(queue, id, { notStarted: true });
      onProgress?.(++done, pending.length);
      return ok;
    });
    return cancelled.filter(Boolean).length;
  }

  /**
   * Counts the queue's jobs per state, from the server's counts of each kind of message and
   * the workers' consumer: no record is read.
   */
  async stats(queue: string): Promise<QueueStats> {
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueStats;
    const stream = this.#names.queueStream(queue);
    // reads only: safe to repeat while the stream elects a leader
    return await retryWhileLeaderless(this.#clock, {
      what: `count the jobs of queue ${queue}`,
      stream,
      write: async () => {
        if (!await this.#streams.info(stream)) return counts;
        const jsm = await this.#connection.jetstreamManager();
        const workers = () => jsm.consumers.info(stream, this.#names.queueConsumer(queue));
        const [kinds, consumer] = await Promise.all([
          this.#messages.counts(queue),
          // opened when no worker has yet: it counts the run messages
          workers().catch(() => this.consumer(queue).then(workers)),
        ]);
        return {
          ...counts,
          active: consumer.num_ack_pending,
          waiting: consumer.num_pending,
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
   * Lists the queue's jobs, newest first: a read of every job's latest message, for
   * operators, not hot paths.
   *
   * @param options `state` keeps only jobs in that state; `limit` (default 100) caps the list
   * @returns at most `limit` records, by `enqueuedAt`, newest first
   */
  async listJobs(
    queue: string,
    options: { readonly state?: JobState; readonly limit?: number } = {},
  ): Promise<JobRecord[]> {
    const { state, limit = 100 } = options;
    if (!await this.#streams.info(this.#names.queueStream(queue))) return [];
    const delivered = await this.#delivered(queue);
    const jobs: JobRecord[] = [];
    for await (const { message } of this.#messages.all(queue)) {
      const job = jobFromMessage(
        queue,
        message,
        message.kind === "run" && message.seq <= delivered,
      );
      if (job && (state === undefined || job.state === state)) jobs.push(job);
    }
    return jobs
      // jobs enqueued in the same millisecond keep their queue order
      .sort((a, b) => b.enqueuedAt - a.enqueuedAt || (b.seq ?? 0) - (a.seq ?? 0))
      .slice(0, limit);
  }

  /** The names of every queue that has a stream under this prefix, sorted. */
  async queues(): Promise<string[]> {
    const streamPrefix = this.#names.queueStream("_").slice(0, -1);
    return (await this.#streams.names())
      .filter((name) => name.startsWith(streamPrefix))
      .map((name) => name.slice(streamPrefix.length))
      .sort();
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
  ): Promise<JobRecord> {
    // not async: one suspended frame less for each of a producer's many waiters
    return this.#waiters.wait(queue, checkJobId(jobId), epoch, signal)
      .then((job) => job ?? Promise.reject(notFound(queue, jobId)));
  }

  /**
   * Asks the server for the queue's stream again: it may have been deleted, or created a
   * moment ago by another process. Once for all the publishes that found no stream together,
   * not once each: a batch of thousands would flood JetStream's API while it elects a leader.
   *
   * @throws {ConfigError} when the stream cannot be made to fit
   */
  async #ensureQueueAgain(queue: string): Promise<void> {
    let ensuring = this.#reensuring.get(queue);
    if (!ensuring) {
      this.#streams.forget(this.#names.queueStream(queue));
      ensuring = this.ensureQueue(queue).finally(() => this.#reensuring.delete(queue));
      this.#reensuring.set(queue, ensuring);
    }
    try {
      await ensuring;
    } catch (err) {
      // naq's own errors do not pass with time; JetStream's, while it elects a leader, do
      if (err instanceof NaqError) throw err;
    }
  }

  /**
   * Checks a job as `enqueue()` would, without enqueueing it: for schedules, so that nothing
   * is stored that could never fire.
   *
   * @throws {TypeError} for a bad job id or task name
   * @throws {RangeError} for bad options, or a message over the server's max payload
   */
  checkEnqueue(queue: string, request: EnqueueRequest): void {
    this.#encodeWithinLimit(
      queue,
      this.#envelope(queueSettings(this.#services.config, queue), request),
    );
  }

  /** Opens the queue's shared consumer, for a worker. */
  async consumer(queue: string): Promise<QueueConsumer> {
    await this.ensureQueue(queue);
    return await QueueConsumer.open(
      this.#connection,
      this.#names.queueStream(queue),
      this.#names.queueConsumer(queue),
      this.#names.kindSubjects(queue, "run"),
      queueSettings(this.#services.config, queue),
    );
  }

  /**
   * Takes a delivered message for `worker`: see {@linkcode claimJob}.
   *
   * @param taskOptions the options of the worker's task of that name, or `undefined` when it
   *   has none
   * @returns the claimed job to run, or `null` when the message was settled here
   */
  claim(
    queue: string,
    delivery: Delivery,
    worker: string,
    taskOptions: (task: string) => GivenOptions | undefined,
  ): Promise<ClaimedJob | null> {
    return claimJob({
      messages: this.#messages,
      events: this.#events,
      deadLetters: this.#deadLetters,
      clock: this.#clock,
      connection: this.#connection,
      settings: this.#queueSettings(queue),
      resultsTtlMs: this.#services.config.results.ttl,
    }, { queue, delivery, worker, taskOptions });
  }

  /**
   * Calls `onCancelled(jobId, nonce)` whenever a job of the queue that may be running is
   * cancelled, anywhere in the cluster, until the returned function is called.
   */
  onCancel(queue: string, onCancelled: (jobId: string, nonce: string) => void): () => void {
    const subject = this.#names.cancelSubject(queue, "*");
    const subscription = this.#connection.nc.subscribe(subject, {
      callback: (err, message) => {
        if (!err) onCancelled(message.subject.slice(subject.length - 1), message.string());
      },
    });
    return () => subscription.unsubscribe();
  }

  /**
   * Answers, for the worker, what `getJob()` asks of the jobs it runs, until the returned
   * function is called.
   *
   * @param running the job of that id this worker runs, or `undefined`
   */
  serveRunning(queue: string, running: (jobId: string) => RunningJob | undefined): () => void {
    const subject = this.#names.runningSubject(queue, "*");
    const subscription = this.#connection.nc.subscribe(subject, {
      callback: (err, message) => {
        const job = err ? undefined : running(message.subject.slice(subject.length - 1));
        // only the worker running it answers; the others stay silent
        if (!job) return;
        try {
          message.respond(encodeJson(job));
        } catch {
          // too large to answer with its progress: answer without it (this runs inside the
          // connection's reader, which an error would stop)
          message.respond(encodeJson({ ...job, progress: undefined }));
        }
      },
    });
    return () => subscription.unsubscribe();
  }

  /**
   * Gives back a message a worker pulled and will not run (it is stopping, or its queue was
   * paused): written anew in its place, so that it runs next elsewhere without counting as
   * a stall.
   */
  async handBackUnstarted(queue: string, delivery: Delivery): Promise<void> {
    const parsed = parseEnvelope(delivery.body);
    if (!parsed.ok) return; // poison: left for its redelivery, and a worker's dead letter
    const seq = await this.#messages.write(queue, parsed.envelope.id, "run", delivery.body, {
      attempt: delivery.attempt,
      notify: delivery.notify,
      expectLast: delivery.seq,
    });
    if (seq === null) delivery.ack(); // cancelled meanwhile: nothing to give back
  }

  #queueSettings(queue: string): QueueSettings {
    let settings = this.#settings.get(queue);
    if (!settings) {
      this.#settings.set(queue, settings = queueSettings(this.#services.config, queue));
    }
    return settings;
  }

  #envelope(settings: QueueSettings, request: EnqueueRequest): JobEnvelope {
    if (!request.task) throw new TypeError("Cannot enqueue a job without a task name");
    const given = givenOptions(request);
    return {
      v: 1,
      id: request.jobId === undefined ? crypto.randomUUID() : checkJobId(request.jobId),
      task: request.task,
      payload: request.payload ?? null,
      options: resolveJobOptions(settings, request.taskOptions, given),
      nonce: crypto.randomUUID(),
      enqueuedAt: this.#clock.now(),
      ...(request.schedule && { schedule: request.schedule }),
      ...(Object.keys(given).length > 0 && { given }),
    };
  }

  #encodeWithinLimit(queue: string, envelope: JobEnvelope): Uint8Array {
    const body = encodeEnvelope(envelope);
    const maxPayload = this.#connection.nc.info?.max_payload ?? Infinity;
    const limit = bodyLimit(maxPayload, `${queue}.${envelope.id}.${this.#waiters.notifySubject}`);
    if (body.length > limit) {
      throw new RangeError(
        `Cannot enqueue job ${envelope.id} (task ${envelope.task}): its message is ` +
          `${body.length} bytes, over the ${limit} bytes the server's ` +
          `max_payload of ${maxPayload} bytes leaves for it; store large data elsewhere and ` +
          `enqueue a reference to it`,
      );
    }
    return body;
  }
}

/** The options a request sets itself, without those left out. */
function givenOptions(request: EnqueueRequest): GivenOptions {
  const backoff = Object.fromEntries(
    Object.entries(request.backoff ?? {}).filter(([, value]) => value !== undefined),
  );
  return {
    ...(request.attempts !== undefined && { attempts: request.attempts }),
    ...(request.timeoutMs !== undefined && { timeoutMs: request.timeoutMs }),
    ...(Object.keys(backoff).length > 0 && { backoff }),
  };
}

/** The job a dead letter holds, with its payload read back from the letter's bytes. */
function letterJob(letter: StoredDeadLetter): JobRecord | null {
  if (!letter.job) return null;
  const parsed = parseEnvelope(Uint8Array.from(atob(letter.raw), (char) => char.charCodeAt(0)));
  return { ...letter.job, payload: parsed.ok ? parsed.envelope.payload : letter.job.payload };
}

function notFound(queue: string, jobId: string): NaqError {
  return new NaqError(
    ErrorCode.NotFound,
    `Job ${jobId} is not in queue ${queue}: it never was, or its record expired (results.ttl)`,
  );
}
