import type { BackoffSettings, QueueSettings } from "../config/types.ts";
import { queueSettings } from "../config/mod.ts";
import type { Clock } from "../clock.ts";
import {
  checkJobId,
  checkJobOptions,
  encodeEnvelope,
  type JobEnvelope,
  parseEnvelope,
  waitingRecord,
} from "../core/envelope.ts";
import {
  JOB_STATES,
  type JobOptions,
  type JobRecord,
  type JobState,
  type ScheduleFiring,
} from "../core/job.ts";
import { type WireNames, wireNames } from "../core/names.ts";
import { inWindows } from "../core/in_windows.ts";
import { ErrorCode, NaqError } from "../errors.ts";
import { ConnectionService } from "./connection_service.ts";
import { claimJob } from "./claim_job.ts";
import type { ClaimedJob, Delivery } from "./claimed_job.ts";
import { DeadLetterService, type StoredDeadLetter, toBase64 } from "./dead_letter_service.ts";
import { DelayedJobStore, type DelayedMessage } from "./delayed_job_store.ts";
import { EventService } from "./event_service.ts";
import { type JsonBucket, KVStoreService } from "./kv_store_service.ts";
import type { ServiceManager } from "./service_manager.ts";
import { OutcomeWaiters } from "./outcome_waiters.ts";
import { retryWhileLeaderless } from "./retry_while_leaderless.ts";
import { QueueConsumer } from "./queue_consumer.ts";
import { StreamService } from "./stream_service.ts";

/** What to enqueue: a task by name, its payload, and per-job options. */
export interface EnqueueRequest {
  /** The task's name; a worker must have a task registered under it. */
  readonly task: string;
  /** The payload, anything JSON can carry. */
  readonly payload: unknown;
  /** The job's id; the same id enqueued twice runs once. A random UUID when omitted. */
  readonly jobId?: string;
  /** Attempts in all; the queue's `attempts` when omitted. */
  readonly attempts?: number;
  /** Backoff between attempts, over the queue's. */
  readonly backoff?: Partial<BackoffSettings>;
  /** Fail an attempt that runs longer than this many ms; none when omitted. */
  readonly timeoutMs?: number;
  /** Run no earlier than this, in ms since the epoch; at once when omitted or past. */
  readonly runAt?: number;
  /** The schedule firing that enqueues it. */
  readonly schedule?: ScheduleFiring;
}

/** Counts of a queue's jobs per state. */
export type QueueStats = Record<JobState, number>;

/** A job's message as stored by enqueue, and the record it stands for. */
interface StoredMessage {
  readonly record: JobRecord;
  /** The server had it already: stored by an earlier enqueue of the same id. */
  readonly duplicate: boolean;
  /** The record of the message the server holds, read back; `null` once it is gone. */
  readonly stored: () => Promise<JobRecord | null>;
}

// un-awaited publishes in flight at once during enqueueMany: enough to fill the pipe
const PUBLISH_WINDOW = 512;

/**
 * Jobs from the producer's side: enqueue, read, cancel, retry, purge, count, and wait for an
 * outcome. The worker's side of a job is {@linkcode ClaimedJob}.
 */
export class JobService {
  readonly #services: ServiceManager;
  readonly #connection: ConnectionService;
  readonly #streams: StreamService;
  readonly #jobs: JsonBucket<JobRecord>;
  readonly #events: EventService;
  readonly #deadLetters: DeadLetterService;
  readonly #delayed: DelayedJobStore;
  readonly #names: WireNames;
  readonly #clock: Clock;
  readonly #waiters: OutcomeWaiters;
  readonly #reensuring = new Map<string, Promise<void>>();

  private constructor(
    services: ServiceManager,
    deps: {
      connection: ConnectionService;
      streams: StreamService;
      jobs: JsonBucket<JobRecord>;
      events: EventService;
      deadLetters: DeadLetterService;
      delayed: DelayedJobStore;
    },
  ) {
    this.#services = services;
    this.#connection = deps.connection;
    this.#streams = deps.streams;
    this.#jobs = deps.jobs;
    this.#events = deps.events;
    this.#deadLetters = deps.deadLetters;
    this.#delayed = deps.delayed;
    this.#names = wireNames(services.config.prefix);
    this.#clock = services.clock;
    this.#waiters = new OutcomeWaiters(deps.jobs);
  }

  /** Builds the service, its jobs bucket (with the results TTL) and its streams. */
  static async create(services: ServiceManager): Promise<JobService> {
    const { config } = services;
    const [connection, streams, kv, events, deadLetters, delayed] = await Promise.all([
      services.get(ConnectionService),
      services.get(StreamService),
      services.get(KVStoreService),
      services.get(EventService),
      services.get(DeadLetterService),
      services.get(DelayedJobStore),
    ]);
    const jobs = await kv.bucket<JobRecord>(wireNames(config.prefix).jobsBucket, {
      ttlMs: config.results.ttl,
      replicas: config.streams.replicas,
    });
    return new JobService(services, {
      connection,
      streams,
      jobs,
      events,
      deadLetters,
      delayed,
    });
  }

  /** The jobs bucket; the worker side reads and writes records through it too. */
  get jobs(): JsonBucket<JobRecord> {
    return this.#jobs;
  }

  /** Ensures the queue's work-queue stream exists. */
  async ensureQueue(queue: string): Promise<void> {
    await this.#streams.ensure({
      name: this.#names.queueStream(queue),
      subjects: [this.#names.queueSubject(queue)],
      retention: "workqueue",
      replicas: this.#services.config.streams.replicas,
    });
  }

  /**
   * Enqueues one job and returns its record once the job is stored.
   *
   * @throws {TypeError} for a bad job id or task name
   * @throws {RangeError} when the job's message is over the server's max payload
   * @throws {NaqError} with code `UNAVAILABLE` when the queue's stream, or the jobs bucket,
   *   had no leader to take it for 30 s
   */
  async enqueue(queue: string, request: EnqueueRequest): Promise<JobRecord> {
    const [record] = await this.enqueueMany(queue, [request]);
    return record;
  }

  /**
   * Enqueues many jobs in one pipelined batch: their publishes are in flight together.
   *
   * @returns each job's record, in the order of `requests`
   */
  async enqueueMany(queue: string, requests: readonly EnqueueRequest[]): Promise<JobRecord[]> {
    await this.ensureQueue(queue);
    const settings = queueSettings(this.#services.config, queue);
    const envelopes = requests.map((request) => this.#envelope(settings, request));
    const bodies = envelopes.map((envelope) => this.#encodeWithinLimit(envelope));
    const now = this.#clock.now();
    return await inWindows(envelopes, PUBLISH_WINDOW, async (envelope, i) => {
      const runAt = requests[i].runAt;
      const { record, duplicate, stored } = runAt !== undefined && runAt > now
        ? await this.#storeDelayed(queue, envelope, bodies[i], runAt)
        : await this.#storeWaiting(queue, envelope, bodies[i]);
      if (duplicate) return (await this.#recordOfDuplicate(queue, envelope.id, stored)) ?? record;
      // a create repeated after a timeout that had landed finds the key taken: as below
      const created = await retryWhileLeaderless(this.#clock, {
        what: `store the record of job ${envelope.id} of queue ${queue}`,
        stream: `KV_${this.#jobs.name}`,
        write: () => this.#jobs.create(this.#names.jobKey(queue, envelope.id), record),
      });
      if (created === null) {
        // a worker got the message first and wrote this record, or the id belongs to an
        // earlier job; either way the stored record is the truth (workers drop the copy)
        return (await this.getJob(queue, envelope.id)) ?? record;
      }
      this.#events.emitJob("enqueued", record);
      return record;
    });
  }

  /** Publishes a job's message to its queue, for a worker to take. */
  async #storeWaiting(
    queue: string,
    envelope: JobEnvelope,
    body: Uint8Array,
  ): Promise<StoredMessage> {
    const { seq, duplicate } = await this.#publish(queue, envelope.id, body, envelope.id);
    return {
      record: { ...waitingRecord(queue, envelope), seq },
      duplicate,
      // a duplicate's ack carries the sequence of the message stored first
      stored: () => this.#queuedRecord(queue, seq),
    };
  }

  /** Stores a job's message in the delayed stream, for a scheduler to enqueue at `runAt`. */
  async #storeDelayed(
    queue: string,
    envelope: JobEnvelope,
    body: Uint8Array,
    runAt: number,
  ): Promise<StoredMessage> {
    const { duplicate } = await retryWhileLeaderless(this.#clock, {
      what: `store delayed job ${envelope.id} of queue ${queue}`,
      stream: this.#names.delayedStream,
      // msgID as for a queue message: the same id stored twice in the window is stored once
      write: () =>
        this.#delayed.add(
          queue,
          envelope.id,
          { runAt, attempt: 0 },
          body,
          this.#names.jobKey(queue, envelope.id),
        ),
    });
    return {
      record: { ...waitingRecord(queue, envelope), state: "delayed", runAt },
      duplicate,
      stored: () => this.#delayedRecord(queue, envelope.id),
    };
  }

  /** Reads a job in any state; `null` when unknown or expired (see `results.ttl`). */
  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const stored = await this.#jobs.get(this.#names.jobKey(queue, checkJobId(jobId)));
    return stored?.value ?? await this.#delayedRecord(queue, jobId);
  }

  /**
   * The record of a job still delayed past `results.ttl`, when its stored record expired:
   * its delayed message holds all there is to know.
   */
  async #delayedRecord(queue: string, jobId: string): Promise<JobRecord | null> {
    const message = await this.#delayed.find(queue, jobId);
    if (!message) return null;
    const parsed = parseEnvelope(message.body);
    if (!parsed.ok) return null;
    return { ...waitingRecord(queue, parsed.envelope), state: "delayed", runAt: message.runAt };
  }

  /**
   * The record of a job whose message the server had already stored (a duplicate publish).
   * When whoever stored the message died before writing its record (a scheduler killed
   * between a firing's publish and its record), the record is written now, or the job could
   * not be seen, counted or cancelled until a worker ran it. It is built from the stored
   * message, not from this call's envelope: a worker runs that message, and drops one whose
   * nonce its job's record does not share.
   *
   * @param stored reads the record that the stored message stands for; `null` once it is gone
   * @returns `null` when neither the record nor the message is there any more
   */
  async #recordOfDuplicate(
    queue: string,
    jobId: string,
    stored: () => Promise<JobRecord | null>,
  ): Promise<JobRecord | null> {
    const key = this.#names.jobKey(queue, jobId);
    while (true) {
      const current = await this.#jobs.get(key);
      if (current) return current.value;
      // gone: a worker took it, and wrote the record first (or that record expired)
      const adopted = await stored();
      if (!adopted) return await this.getJob(queue, jobId);
      if (await this.#jobs.create(key, adopted) !== null) {
        this.#events.emitJob("enqueued", adopted);
        return adopted;
      }
    }
  }

  /** The waiting record of the job message at `seq` in the queue, or `null` when it is gone. */
  async #queuedRecord(queue: string, seq: number): Promise<JobRecord | null> {
    const jsm = await this.#connection.jetstreamManager();
    const stored = await jsm.streams.getMessage(this.#names.queueStream(queue), { seq });
    const parsed = stored && parseEnvelope(stored.data);
    if (!parsed?.ok) return null;
    return { ...waitingRecord(queue, parsed.envelope), seq };
  }

  /**
   * Cancels a job that has not started (delayed, waiting, or waiting to retry); a worker
   * that receives it later drops it.
   *
   * @returns true when cancelled; false when unknown, running or finished
   */
  async cancel(queue: string, jobId: string): Promise<boolean> {
    const key = this.#names.jobKey(queue, checkJobId(jobId));
    while (true) {
      let current = await this.#jobs.get(key);
      if (!current) {
        const delayed = await this.#delayedRecord(queue, jobId);
        if (!delayed) return false;
        const revision = await this.#jobs.create(key, delayed);
        current = revision === null ? null : { value: delayed, revision };
        if (!current) continue;
      }
      if (!isPending(current.value.state)) return false;
      const cancelled: JobRecord = {
        ...current.value,
        state: "cancelled",
        finishedAt: this.#clock.now(),
        retryAt: undefined,
        runAt: undefined,
      };
      if (await this.#jobs.update(key, cancelled, current.revision) !== null) {
        // remove the message too: once the cancelled record expires (results.ttl), a worker
        // receiving the message could not tell it from a job whose record was never written
        if (current.value.seq !== undefined) await this.#removeMessage(queue, current.value.seq);
        // a delayed job, or a retry, waits in the delayed stream
        if (current.value.state !== "waiting") await this.#delayed.removeJob(queue, jobId);
        this.#events.emitJob("cancelled", cancelled);
        return true;
      }
    }
  }

  /**
   * Runs a dead job again from its first attempt, and removes its dead letter.
   *
   * @param letter the job's dead letter, which stands in for its record once that expired
   * @throws {NaqError} with code `NOT_FOUND` when the job is unknown
   * @throws {RangeError} when the job is not dead
   */
  async retry(queue: string, jobId: string, letter?: StoredDeadLetter): Promise<JobRecord> {
    const key = this.#names.jobKey(queue, checkJobId(jobId));
    let current = await this.#jobs.get(key);
    if (!current && letter?.job?.id === jobId) {
      // its record expired (results.ttl) while its dead letter stayed: the letter's copy serves
      const restored: JobRecord = { ...letter.job, state: "dead", deadLetterSeq: letter.seq };
      const revision = await this.#jobs.create(key, restored);
      current = revision === null ? await this.#jobs.get(key) : { value: restored, revision };
    }
    if (!current) throw notFound(queue, jobId);
    if (current.value.state !== "dead") {
      throw new RangeError(
        `Cannot retry job ${jobId} in queue ${queue}: it is ${current.value.state}, ` +
          `and only dead jobs can be retried`,
      );
    }
    const { deadLetterSeq, ...job } = current.value;
    const revived: JobRecord = {
      ...job,
      state: "waiting",
      attempt: 0,
      nonce: crypto.randomUUID(),
      finishedAt: undefined,
      deadReason: undefined,
      seq: undefined,
    };
    // the record first: a worker that sees the new message must find the new nonce
    const revision = await this.#jobs.update(key, revived, current.revision);
    if (revision === null) {
      throw new RangeError(`Cannot retry job ${jobId} in queue ${queue}: it changed meanwhile`);
    }
    let seq: number;
    try {
      await this.ensureQueue(queue);
      ({ seq } = await this.#publish(
        queue,
        jobId,
        encodeEnvelope(toEnvelope(revived)),
        `${jobId}.${revived.nonce}`,
      ));
    } catch (err) {
      // no message went out: put the dead record back, so that retry() can be called again
      const reverted = await this.#jobs.get(key);
      if (reverted?.value.nonce === revived.nonce) {
        await this.#jobs.update(key, current.value, reverted.revision).catch(() => {});
      }
      throw err;
    }
    // a worker that claimed it meanwhile has moved the record on: then there is nothing to cancel
    await this.#jobs.update(key, { ...revived, seq }, revision);
    if (deadLetterSeq !== undefined) await this.#deadLetters.remove(deadLetterSeq);
    this.#events.emitJob("enqueued", revived);
    return { ...revived, seq };
  }

  /**
   * Cancels every job of the queue that has not started (delayed, waiting, or waiting to
   * retry); workers drop their messages on arrival.
   *
   * @param onProgress told after each job, for a progress display
   * @returns how many were cancelled
   */
  async purge(queue: string, onProgress?: (done: number, total: number) => void): Promise<number> {
    // cancel, not a stream purge: that would also delete the messages of running jobs,
    // whose retries and hand-backs then have nothing to come back to
    const records = await this.#jobs.values(this.#names.queueKeys(queue));
    const pending = new Set(
      records.filter(({ value }) => isPending(value.state)).map(({ value }) => value.id),
    );
    // a job delayed past results.ttl has no record left, only its delayed message
    const known = new Set(records.map(({ value }) => value.id));
    for (const id of await this.#delayed.jobIds(queue)) if (!known.has(id)) pending.add(id);
    let done = 0;
    const cancelled = await inWindows([...pending], PUBLISH_WINDOW, async (id) => {
      const ok = await this.cancel(queue, id);
      onProgress?.(++done, pending.size);
      return ok;
    });
    return cancelled.filter(Boolean).length;
  }

  /** Counts the queue's jobs per state: a scan of its records, for dashboards, not hot paths. */
  async stats(queue: string): Promise<QueueStats> {
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueStats;
    for (const { value } of await this.#jobs.values(this.#names.queueKeys(queue))) {
      counts[value.state] += 1;
    }
    return counts;
  }

  /**
   * Lists the queue's jobs, newest first: a scan of its records, like {@linkcode stats}.
   *
   * @param options `state` keeps only jobs in that state; `limit` (default 100) caps the list
   * @returns at most `limit` records, by `enqueuedAt`, newest first
   */
  async listJobs(
    queue: string,
    options: { readonly state?: JobState; readonly limit?: number } = {},
  ): Promise<JobRecord[]> {
    const { state, limit = 100 } = options;
    return (await this.#jobs.values(this.#names.queueKeys(queue)))
      .map(({ value }) => value)
      .filter((job) => state === undefined || job.state === state)
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
   * @returns the finished record
   * @throws {NaqError} with code `NOT_FOUND` when the job vanishes (its record expired)
   */
  async waitUntilFinished(queue: string, jobId: string, signal?: AbortSignal): Promise<JobRecord> {
    const key = this.#names.jobKey(queue, checkJobId(jobId));
    const job = await this.#waiters.wait(this.#names.queueKeys(queue), key, signal);
    if (!job) throw notFound(queue, jobId);
    return job;
  }

  /**
   * Publishes a job message, waiting out a stream that has no leader for a while.
   *
   * @throws {NaqError} with code `UNAVAILABLE` when the stream took nothing for 30 s
   */
  #publish(
    queue: string,
    jobId: string,
    body: Uint8Array,
    msgID: string,
  ): Promise<{ seq: number; duplicate: boolean }> {
    const subject = this.#names.queueSubject(queue);
    let ensured = false;
    return retryWhileLeaderless(this.#clock, {
      what: `publish job ${jobId} to queue ${queue}`,
      stream: this.#names.queueStream(queue),
      write: () => this.#connection.jetstream().publish(subject, body, { msgID }),
      // once it is ensured, the stream is there, and "no responders" means it has no leader
      onNoResponders: async () => {
        if (!ensured) ensured = await this.#ensureQueueAgain(queue);
      },
    });
  }

  /**
   * Asks the server for the queue's stream again: it may have been deleted, or created a
   * moment ago by another process. Once for all the publishes that found no stream together,
   * not once each: a batch of thousands would flood JetStream's API while it elects a leader.
   *
   * @returns true once ensured; false when JetStream could not answer (no leader yet)
   * @throws {ConfigError} when the stream cannot be made to fit
   */
  async #ensureQueueAgain(queue: string): Promise<boolean> {
    let ensuring = this.#reensuring.get(queue);
    if (!ensuring) {
      this.#streams.forget(this.#names.queueStream(queue));
      ensuring = this.ensureQueue(queue).finally(() => this.#reensuring.delete(queue));
      this.#reensuring.set(queue, ensuring);
    }
    try {
      await ensuring;
      return true;
    } catch (err) {
      // naq's own errors do not pass with time; JetStream's, while it elects a leader, do
      if (err instanceof NaqError) throw err;
      return false;
    }
  }

  async #removeMessage(queue: string, seq: number): Promise<void> {
    const jsm = await this.#connection.jetstreamManager();
    await jsm.streams.deleteMessage(this.#names.queueStream(queue), seq, false).catch(() => {
      // already delivered and acknowledged, or gone: nothing left to remove
    });
  }

  /**
   * Moves a due delayed job to its queue: publishes its message, marks it waiting, then
   * removes the delayed message. The publish is deduplicated and the record changes by
   * compare-and-swap, so a scheduler that repeats this after a failover enqueues it once.
   *
   * @param scheduler the scheduler's id, for a dead letter when the message is not a job
   */
  async promote(message: DelayedMessage, scheduler: string): Promise<void> {
    const { queue, jobId } = message;
    const parsed = parseEnvelope(message.body);
    if (!parsed.ok || parsed.envelope.id !== jobId) {
      await this.#deadLetters.add({
        queue,
        reason: parsed.ok
          ? `the delayed message for job ${jobId} holds job ${parsed.envelope.id}`
          : parsed.reason,
        worker: scheduler,
        at: this.#clock.now(),
        raw: toBase64(message.body),
      });
      return await this.#delayed.remove(message.seq);
    }
    const { envelope } = parsed;
    const key = this.#names.jobKey(queue, jobId);
    // a delayed job, or a failed one whose retry waited here; not a job that moved on since
    // (a stale message, promoted again by a leader that overlapped or retried)
    const isThisDelay = (job: JobRecord) =>
      job.nonce === envelope.nonce && (job.state === "delayed" || job.state === "failed") &&
      (message.attempt === undefined || job.attempt === message.attempt);
    let current = await this.#jobs.get(key);
    if (!current || isThisDelay(current.value)) {
      await this.ensureQueue(queue);
      // the delayed message's own sequence: each retry of a job waits in a message of its own
      const msgID = `${jobId}.${envelope.nonce}.${message.seq}`;
      const { seq } = await this.#publish(queue, jobId, message.body, msgID);
      while (true) {
        // no record: it expired while the job waited longer than results.ttl
        const waiting: JobRecord = current
          ? { ...current.value, state: "waiting", runAt: undefined, retryAt: undefined, seq }
          : { ...waitingRecord(queue, envelope), seq };
        const stored = current
          ? await this.#jobs.update(key, waiting, current.revision)
          : await this.#jobs.create(key, waiting);
        if (stored !== null) {
          this.#events.emitJob("promoted", waiting);
          break;
        }
        current = await this.#jobs.get(key);
        if (current && !isThisDelay(current.value)) {
          // cancelled meanwhile: its message must not run; otherwise a worker has it already
          const cancelled = current.value.state === "cancelled" &&
            current.value.nonce === envelope.nonce;
          if (cancelled) await this.#removeMessage(queue, seq);
          break;
        }
      }
    }
    await this.#delayed.remove(message.seq);
  }

  /**
   * Checks a job as `enqueue()` would, without enqueueing it: for schedules, so that nothing
   * is stored that could never fire.
   *
   * @throws {TypeError} for a bad job id or task name
   * @throws {RangeError} for bad options, or a message over the server's max payload
   */
  checkEnqueue(queue: string, request: EnqueueRequest): void {
    this.#encodeWithinLimit(this.#envelope(queueSettings(this.#services.config, queue), request));
  }

  /** Opens the queue's shared consumer, for a worker. */
  async consumer(queue: string): Promise<QueueConsumer> {
    await this.ensureQueue(queue);
    return await QueueConsumer.open(
      this.#connection,
      this.#names.queueStream(queue),
      this.#names.queueConsumer(queue),
      this.#names.queueSubject(queue),
      queueSettings(this.#services.config, queue),
    );
  }

  /**
   * Takes a delivered message for `worker`: see {@linkcode claimJob}.
   *
   * @param retryViaScheduler wait out retry delays in the delayed stream, not holding the
   *   message: only when a scheduler runs, as the worker's own replica does
   *
   * @returns the claimed job to run, or `null` when the message was settled here
   */
  claim(
    queue: string,
    delivery: Delivery,
    worker: string,
    hasTask: (task: string) => boolean,
    retryViaScheduler: boolean,
  ): Promise<ClaimedJob | null> {
    const delayRetry = (job: JobRecord, body: Uint8Array) =>
      this.#delayed.add(
        queue,
        job.id,
        { runAt: job.retryAt!, attempt: job.attempt },
        body,
        `${this.#names.jobKey(queue, job.id)}.${job.nonce}.${job.attempt}`,
      );
    return claimJob({
      jobs: this.#jobs,
      events: this.#events,
      deadLetters: this.#deadLetters,
      clock: this.#clock,
      names: this.#names,
      delayRetry: retryViaScheduler ? delayRetry : undefined,
    }, { queue, delivery, worker, hasTask });
  }

  #envelope(settings: QueueSettings, request: EnqueueRequest): JobEnvelope {
    if (!request.task) throw new TypeError("Cannot enqueue a job without a task name");
    const options = resolveJobOptions(settings, request);
    return {
      v: 1,
      id: request.jobId === undefined ? crypto.randomUUID() : checkJobId(request.jobId),
      task: request.task,
      payload: request.payload ?? null,
      options,
      nonce: crypto.randomUUID(),
      enqueuedAt: this.#clock.now(),
      ...(request.schedule && { schedule: request.schedule }),
    };
  }

  #encodeWithinLimit(envelope: JobEnvelope): Uint8Array {
    const body = encodeEnvelope(envelope);
    const maxPayload = this.#connection.nc.info?.max_payload ?? Infinity;
    if (body.length > maxPayload) {
      throw new RangeError(
        `Cannot enqueue job ${envelope.id} (task ${envelope.task}): its message is ` +
          `${body.length} bytes, over the server's max_payload of ${maxPayload} bytes; ` +
          `store large data elsewhere and enqueue a reference to it`,
      );
    }
    return body;
  }
}

/**
 * A job's options: the request's over the queue's settings.
 *
 * @throws {RangeError} naming each option a worker would refuse
 */
function resolveJobOptions(
  settings: QueueSettings,
  request: Pick<EnqueueRequest, "attempts" | "backoff" | "timeoutMs">,
): JobOptions {
  const backoff = { ...settings.backoff };
  for (const [field, value] of Object.entries(request.backoff ?? {})) {
    // an option given as undefined keeps the queue's value
    if (value !== undefined) Object.assign(backoff, { [field]: value });
  }
  return checkJobOptions({
    attempts: request.attempts ?? settings.attempts,
    timeoutMs: request.timeoutMs ?? 0,
    backoff,
  });
}

/** True for the states of a job that has not started and can be cancelled. */
function isPending(state: JobState): boolean {
  return state === "delayed" || state === "waiting" || state === "failed";
}

function toEnvelope(job: JobRecord): JobEnvelope {
  return {
    v: 1,
    id: job.id,
    task: job.task,
    payload: job.payload,
    options: job.options,
    nonce: job.nonce,
    enqueuedAt: job.enqueuedAt,
    ...(job.schedule && { schedule: job.schedule }),
  };
}

function notFound(queue: string, jobId: string): NaqError {
  return new NaqError(
    ErrorCode.NotFound,
    `Job ${jobId} is not in queue ${queue}: it never was, or its record expired (results.ttl)`,
  );
}
