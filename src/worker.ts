/**
 * The consumer's side of naq: pull jobs, run their tasks, store outcomes, retry, dead-letter.
 *
 * @module
 */
import { repeatEvery } from "./clock.ts";
import { queueSettings } from "./config/queue_settings.ts";
import { Slots } from "./core/slots.ts";
import { formatDuration } from "./core/duration.ts";
import { durationMs } from "./duration_options.ts";
import type { DurationInput } from "./config/types.ts";
import { checkQueueName } from "./core/names.ts";
import { ConnectionError, ErrorCode, NaqError, TimeoutError } from "./errors.ts";
import type { ServicesOption } from "./queue.ts";
import type { ClaimedJob, Decision } from "./services/business/jobs/claimed_job.ts";
import type { Delivery } from "./services/core/queue_consumer.ts";
import { ConnectionService } from "./services/core/connection_service.ts";
import { EventService } from "./services/business/event_service.ts";
import type { RunningJob } from "./services/business/jobs/job_streams.ts";
import { WorkerJobs } from "./services/business/jobs/worker_jobs.ts";
import type { QueueConsumer } from "./services/core/queue_consumer.ts";
import { type PauseFlag, QueueStateService } from "./services/business/queue_state_service.ts";
import { Registration } from "./services/business/worker_registration.ts";
import { type WorkerEntry, type WorkerState, workerState } from "./core/worker_entry.ts";
import { runReplica } from "./scheduler.ts";
import { onStopSignals } from "./stop_signals.ts";
import { ServiceManager } from "./services/core/service_manager.ts";
import type { Task, TaskContext } from "./task.ts";
import { consoleLogger, taggedLogger, type WorkerLogger } from "./worker/logger.ts";
import { settleFirst } from "./worker/settle_first.ts";
import { checkMetricsListen, type MetricsListen } from "./metrics/metrics_server.ts";
import type { WorkerMetrics } from "./metrics/worker_metrics.ts";
import { type RunEnd, startRunSpan } from "./tracing/job_spans.ts";

export { consoleLogger, type WorkerLogger };

/** The fields of a worker's log line about `job` (see `JOB_FIELDS`). */
function jobFields(job: ClaimedJob["job"]): Record<string, unknown> {
  return { queue: job.queue, task: job.task, jobId: job.id, attempt: job.attempt };
}

/** How a worker runs. */
export interface WorkerOptions {
  /** Jobs run at once by this worker; `worker.concurrency` from the config by default. */
  readonly concurrency?: number;
  /** How long `close()` waits for running jobs before handing them back: ms or `"30s"`. */
  readonly shutdownTimeout?: DurationInput;
  /** This worker's name in job records and dead letters; generated when omitted. */
  readonly id?: string;
  /** Close gracefully on SIGINT and SIGTERM while running. Default true. */
  readonly handleSignals?: boolean;
  /** Where to log; the console by default. */
  readonly logger?: WorkerLogger;
  /**
   * Also run a scheduler replica, so cron and interval schedules fire wherever workers run
   * (delayed jobs and retries need none: the server fires them); `worker.scheduler` from the
   * config (true) by default.
   */
  readonly scheduler?: boolean;
  /**
   * Serve Prometheus metrics at `http://<hostname>:<port>/metrics` while running (hostname
   * `127.0.0.1` by default): this worker's job counters and timings, and its queues' gauges.
   * Off by default, and then free.
   */
  readonly metrics?: MetricsListen;
}

// how long, and how many, cancels a worker remembers for jobs it may be about to start
const CANCEL_MEMORY_MS = 60_000;
const CANCEL_MEMORY_SIZE = 10_000;

// a failing pull (server restarting, consumer deleted) is retried after this long
const PULL_RETRY_MS = 1_000;

/**
 * Runs jobs from one or more queues with the tasks registered with it.
 *
 * Invariant: every job it claims, it settles exactly once: completes, fails (retry or dead
 * letter) or, when stopping before the job finished, hands back for immediate redelivery.
 *
 * @example Run a worker until Ctrl-C
 * ```ts
 * import { createConfig, defineTask, Worker } from "@naq/naq";
 *
 * const resize = defineTask("resize", async (payload: { url: string }, ctx) => {
 *   await ctx.progress(50);
 *   return { ok: true };
 * });
 * await using worker = new Worker("images", [resize], { config: createConfig() });
 * await worker.run();
 * ```
 */
export class Worker implements AsyncDisposable {
  /** This worker's name, as job records and dead letters show it. */
  readonly id: string;
  readonly #queues: readonly string[];
  readonly #tasks: ReadonlyMap<string, Task<never, unknown>>;
  readonly #services: ServiceManager;
  readonly #ownsServices: boolean;
  readonly #slots: Slots;
  readonly #concurrency: number;
  readonly #shutdownTimeoutMs: number;
  readonly #handleSignals: boolean;
  readonly #runsScheduler: boolean;
  #scheduler?: Promise<void>;
  /** Per queue: how often a running job tells the server it is alive, well inside ack wait. */
  readonly #heartbeatMs: ReadonlyMap<string, number>;
  readonly #log: WorkerLogger;
  readonly #stopping = new AbortController();
  readonly #running = new Map<ClaimedJob, AbortController>();
  /** Jobs cancelled lately, by `queue.jobId.nonce`, and when. */
  readonly #cancelled = new Map<string, number>();
  /** Running jobs, and when each last told the server it is alive. */
  readonly #beats = new Map<ClaimedJob, { readonly queue: string; at: number }>();
  #stopBeats?: () => void;
  /** Stops following cancels and `getJob()` questions, once no job runs here. */
  #stopFollowing: (() => void)[] = [];
  readonly #handedBack = new Set<ClaimedJob>();
  readonly #inFlight = new Set<Promise<void>>();
  #run?: Promise<void>;
  #loops?: Promise<unknown>;
  #pastDeadline = false;
  #failure?: Error;
  #closed?: Promise<void>;
  /** SIGINT and SIGTERM seen while running: the first stops, the second hands jobs back. */
  #stopSignals = 0;
  /** Aborted to hand running jobs back now, without waiting out the shutdown timeout. */
  readonly #hurry = new AbortController();
  readonly #metricsListen?: MetricsListen;
  #metrics?: WorkerMetrics;
  /** This worker's entry in the worker registry, kept while it runs. */
  #registration?: Registration;
  /** Its queues' paused flags, once followed, for its registry entry. */
  #pauseFlags: readonly PauseFlag[] = [];

  /**
   * Creates a worker; it pulls nothing until {@linkcode run}.
   *
   * @param queues the queue, or queues, to take jobs from
   * @param tasks the tasks this worker runs; a job for any other task is dead-lettered
   * @param options `{ services }` or `{ config }`, and how to run
   * @throws {TypeError} when two tasks share a name, no queue is given, or a queue name is not
   *   one (see `checkQueueName()`: dots, spaces, wildcards, empty or too long)
   */
  constructor(
    queues: string | readonly string[],
    tasks: readonly Task<never, unknown>[],
    options: ServicesOption & WorkerOptions,
  ) {
    this.#queues = (typeof queues === "string" ? [queues] : [...queues]).map(checkQueueName);
    if (this.#queues.length === 0) throw new TypeError("Cannot create a worker without a queue");
    const byName = new Map<string, Task<never, unknown>>();
    for (const task of tasks) {
      if (byName.has(task.name)) {
        throw new TypeError(
          `Cannot register two tasks named ${JSON.stringify(task.name)} with one worker`,
        );
      }
      byName.set(task.name, task);
    }
    this.#tasks = byName;
    this.#ownsServices = !("services" in options);
    this.#services = "services" in options ? options.services : new ServiceManager(options.config);
    const { worker } = this.#services.config;
    this.#concurrency = options.concurrency ?? worker.concurrency;
    this.#slots = new Slots(this.#concurrency);
    this.#shutdownTimeoutMs = options.shutdownTimeout === undefined
      ? worker.shutdownTimeout
      : durationMs(options.shutdownTimeout, "shutdownTimeout");
    this.#handleSignals = options.handleSignals ?? true;
    this.#runsScheduler = options.scheduler ?? worker.scheduler;
    this.#heartbeatMs = new Map(this.#queues.map((queue) => {
      const { ackWait } = queueSettings(this.#services.config, queue);
      return [queue, Math.max(100, Math.min(worker.heartbeat, ackWait / 3))];
    }));
    this.#log = options.logger ?? consoleLogger;
    this.id = options.id ?? `worker-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#metricsListen = options.metrics && checkMetricsListen(options.metrics);
  }

  /** The port `/metrics` is served on once {@linkcode run} started; `undefined` without metrics. */
  get metricsPort(): number | undefined {
    return this.#metrics?.port;
  }

  /**
   * Pulls and runs jobs until {@linkcode close} (or SIGINT/SIGTERM); resolves once the worker
   * has stopped. Calling it again returns the same promise.
   *
   * @throws {ConnectionError} when the worker stopped because its connection closed for good
   */
  run(): Promise<void> {
    this.#run ??= this.#runLoops();
    return this.#run;
  }

  /**
   * Stops gracefully: stop pulling, wait up to the shutdown timeout for running jobs, hand
   * back the rest for immediate redelivery, then drain. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #runLoops(): Promise<void> {
    // closed before it ran: close() has gone past the beats and the registry entry, which
    // would then stay (the entry rewritten every heartbeat) until the process ends
    if (this.#stopping.signal.aborted) return await this.close();
    if (this.#metricsListen) {
      // loaded only here: a worker without metrics never loads prom-client
      const { WorkerMetrics } = await import("./metrics/worker_metrics.ts");
      // closed while loading: close() has gone past the metrics, which would then stay open
      if (this.#stopping.signal.aborted) return await this.close();
      this.#metrics = WorkerMetrics.start(this.#services, this.#queues, this.#metricsListen);
      const { hostname, port } = this.#metrics;
      this.#log.info(`naq worker ${this.id}: metrics at http://${hostname}:${port}/metrics`);
    }
    // one timer for every running job, not one each: a job is cheap
    const tickMs = Math.min(...this.#heartbeatMs.values()) / 2;
    this.#stopBeats = repeatEvery(this.#services.clock, tickMs, () => this.#beat());
    this.#registration = new Registration(
      this.#services,
      {
        id: this.id,
        kind: "worker",
        queues: this.#queues,
        tasks: [...this.#tasks.keys()],
        concurrency: this.#concurrency,
      },
      () => this.#activity(),
      this.#log,
    );
    await onStopSignals(this.#handleSignals, () => this.#onStopSignal(), async () => {
      if (this.#runsScheduler) {
        this.#scheduler = runReplica(this.#services, this.id, this.#log, this.#stopping.signal)
          .catch((err) => this.#log.error(`naq worker ${this.id}: its scheduler stopped: ${err}`));
      }
      const { jobs, consumers, flags } = await this.#openConsumers();
      this.#pauseFlags = flags;
      try {
        this.#stopFollowing = this.#queues.flatMap((queue) =>
          jobs && !this.#stopping.signal.aborted
            ? [
              jobs.onCancel(queue, (jobId, nonce) => this.#cancelRunning(queue, jobId, nonce)),
              jobs.serveRunning(queue, (jobId) => this.#runningJob(queue, jobId)),
            ]
            : []
        );
      } catch (err) {
        // closed while starting: the connection is draining, and nothing will run here
        if (!this.#stopping.signal.aborted) throw err;
      }
      const perQueue = Math.ceil(this.#concurrency / this.#queues.length);
      this.#loops = Promise.allSettled(
        consumers.map((consumer, i) =>
          this.#pullLoop(jobs!, this.#queues[i], consumer, flags[i], perQueue)
        ),
      );
      await this.#loops;
      for (const flag of flags) flag.stop();
      // still listening: a second Ctrl-C while running jobs finish hands them back
      await this.close();
    }).catch(async (err) => {
      await this.#registration?.close(); // it did not start: nothing runs here
      throw err;
    });
    await this.close();
    if (this.#failure) throw this.#failure;
  }

  /**
   * Opens every queue's consumer. JetStream can be briefly unable to answer (a cluster
   * electing a new stream leader takes seconds), so failures other than naq's own errors
   * and bad arguments are retried until the worker stops.
   */
  async #openConsumers(): Promise<
    { jobs?: WorkerJobs; consumers: QueueConsumer[]; flags: PauseFlag[] }
  > {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      try {
        const [jobs, states] = await Promise.all([
          this.#services.get(WorkerJobs),
          this.#services.get(QueueStateService),
        ]);
        return {
          jobs,
          consumers: await Promise.all(this.#queues.map((queue) => jobs.consumer(queue))),
          flags: await Promise.all(this.#queues.map((queue) => states.follow(queue))),
        };
      } catch (err) {
        // closed while starting: the connection drained under us, and there is nothing to run
        if (stopping.aborted) break;
        if (err instanceof NaqError || err instanceof TypeError || err instanceof RangeError) {
          throw err;
        }
        if (await ConnectionService.closedFor(this.#services)) throw this.#closedForGood();
        this.#log.warn(
          `naq worker ${this.id}: cannot open ${this.#queues.join(", ")} yet, retrying`,
          {
            error: String(err),
          },
        );
        await this.#services.clock.sleep(PULL_RETRY_MS, stopping).catch(() => {});
      }
    }
    return { consumers: [], flags: [] };
  }

  async #pullLoop(
    jobs: WorkerJobs,
    queue: string,
    opened: QueueConsumer,
    pause: PauseFlag,
    max: number,
  ): Promise<void> {
    let consumer = opened;
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      if (pause.paused) {
        await pause.whenResumed(stopping).catch(() => {});
        continue;
      }
      await this.#slots.whenFree(stopping);
      const taken = this.#slots.take(max);
      if (taken === 0) continue;
      let used = 0;
      try {
        const pulling = AbortSignal.any([stopping, pause.pausing]);
        await consumer.pull(taken, pulling, (delivery) => {
          used += 1;
          if (stopping.aborted || pause.paused) {
            // pulled while stopping or pausing: straight back to the queue, before the close
            const back = jobs.handBackUnstarted(queue, delivery).catch(() => {})
              .finally(() => {
                this.#slots.release();
                this.#inFlight.delete(back);
              });
            this.#inFlight.add(back);
            return;
          }
          // the slot stays taken until the handler returns, even after a timeout settled the
          // attempt: a handler that ignores its signal is still running
          const work = this.#process(jobs, queue, delivery, () => this.#slots.release())
            .finally(() => this.#inFlight.delete(work));
          this.#inFlight.add(work);
        });
      } catch (err) {
        if (stopping.aborted) break;
        if (pause.paused) continue;
        if (await ConnectionService.closedFor(this.#services)) {
          this.#failure = this.#closedForGood();
          this.#log.error(
            `naq worker ${this.id}: the NATS connection is closed for good; stopping`,
          );
          void this.close();
          break;
        }
        this.#log.warn(`naq worker ${this.id}: pulling from ${queue} failed, retrying`, {
          error: String(err),
        });
        await this.#services.clock.sleep(PULL_RETRY_MS, stopping).catch(() => {});
        // the queue's stream or consumer may be gone (the queue was deleted): open them again
        if (!stopping.aborted) consumer = await jobs.consumer(queue).catch(() => consumer);
      } finally {
        this.#slots.release(taken - used);
      }
    }
  }

  /** Keeps alive each running job whose queue's heartbeat is due. */
  #beat(): void {
    const now = this.#services.clock.now();
    for (const [claimed, beat] of this.#beats) {
      if (now - beat.at < this.#heartbeatMs.get(beat.queue)!) continue;
      claimed.keepAlive();
      beat.at = now;
    }
  }

  /** What this worker's registry entry says it does now. */
  #activity(): { running: WorkerEntry["running"]; state: WorkerState } {
    const running = [...this.#running.keys()].map((claimed) => ({
      jobId: claimed.job.id,
      queue: claimed.job.queue,
      task: claimed.job.task,
      since: claimed.job.startedAt ?? this.#beats.get(claimed)?.at ?? this.#services.clock.now(),
    }));
    const paused = this.#pauseFlags.map((flag) => flag.paused);
    return { running, state: workerState(this.#stopping.signal.aborted, paused) };
  }

  /** What this worker can say of a job it runs, for `getJob()`. */
  #runningJob(queue: string, jobId: string): RunningJob | undefined {
    for (const claimed of this.#running.keys()) {
      const { job } = claimed;
      if (job.queue !== queue || job.id !== jobId) continue;
      return {
        worker: job.worker,
        startedAt: job.startedAt,
        attempt: job.attempt,
        progress: job.progress,
      };
    }
  }

  /**
   * Aborts the handler of a job that was cancelled while it ran here, and remembers the
   * cancel for a while: the job may be on its way here still, claimed but not started.
   */
  #cancelRunning(queue: string, jobId: string, nonce: string): void {
    const now = this.#services.clock.now();
    this.#cancelled.set(`${queue}.${jobId}.${nonce}`, now);
    for (const [key, at] of this.#cancelled) {
      if (now - at < CANCEL_MEMORY_MS && this.#cancelled.size <= CANCEL_MEMORY_SIZE) break;
      this.#cancelled.delete(key); // oldest first: a Map keeps insertion order
    }
    for (const [claimed, controller] of this.#running) {
      const { job } = claimed;
      if (job.queue !== queue || job.id !== jobId || job.nonce !== nonce) continue;
      controller.abort(new NaqError(ErrorCode.JobCancelled, `Job ${jobId} was cancelled`));
      this.#log.info("cancelled while running", jobFields(job));
    }
  }

  #closedForGood(): ConnectionError {
    return ConnectionError.closedForGood(
      [...this.#services.config.nats.servers],
      `Worker ${this.id}`,
    );
  }

  /** Runs one delivery; resolves once its outcome is settled, calls `release` when its handler has returned. */
  async #process(
    jobs: WorkerJobs,
    queue: string,
    delivery: Delivery,
    release: () => void,
  ): Promise<void> {
    let claimed: ClaimedJob | null;
    try {
      claimed = await jobs.claim(
        queue,
        delivery,
        this.id,
        (task) => this.#tasks.get(task)?.options,
        ({ reason, ...dead }) => {
          this.#log.warn(`dead at its claim: ${reason}`, dead);
          this.#metrics?.jobs.count("dead", queue, dead.task ?? "");
        },
      );
    } catch (err) {
      release();
      // nothing was acknowledged: the message comes back after its ack wait
      this.#log.error(`naq worker ${this.id}: could not claim a job from ${queue}`, {
        error: String(err),
      });
      return;
    }
    if (!claimed) return release();
    await this.#execute(claimed, queue, release);
  }

  async #execute(claimed: ClaimedJob, queue: string, release: () => void): Promise<void> {
    if (this.#pastDeadline) {
      // claimed after the shutdown deadline: there is no time left to run it
      await claimed.handBack().catch(() => {});
      return release();
    }
    const job = claimed.job;
    if (this.#cancelled.has(`${queue}.${job.id}.${job.nonce}`)) {
      claimed.drop(); // cancelled while it was on its way here
      this.#log.info("cancelled before it started", jobFields(job));
      this.#metrics?.jobs.count("cancelled", queue, job.task);
      return release();
    }
    const task = this.#tasks.get(job.task)!;
    const controller = new AbortController();
    this.#running.set(claimed, controller);
    const started = this.#services.clock.now();
    this.#beats.set(claimed, { queue, at: started });
    this.#metrics?.jobs.observeWait(queue, job.task, started - claimed.dueAt);
    const span = startRunSpan(job, claimed.trace, claimed.dueAt, started);
    const log = taggedLogger(this.#log, jobFields(job));
    const ctx: TaskContext = {
      jobId: job.id,
      queue,
      attempt: job.attempt,
      signal: controller.signal,
      // progress is advisory: a failed write must not fail the job, nor, un-awaited, the process
      progress: (value) =>
        claimed.progress(value).catch((err) => log.warn(`progress not stored: ${err}`)),
      log,
    };
    const handled = Promise.resolve()
      .then(() => span.within(() => task.handler(job.payload as never, ctx)))
      .then(
        (result) => ({ ok: true as const, result }),
        (error) => ({ ok: false as const, error }),
      );
    handled.finally(release);
    const outcome = await settleFirst(handled, controller, {
      ms: job.options.timeoutMs,
      clock: this.#services.clock,
      error: () =>
        new TimeoutError(
          `Job ${job.id} timed out after ${job.options.timeoutMs} ms (attempt ${job.attempt})`,
        ),
    });
    this.#running.delete(claimed);
    if (this.#handedBack.has(claimed)) {
      this.#beats.delete(claimed);
      span.end({ outcome: "handed back" }, this.#services.clock.now());
      return;
    }
    const ms = this.#services.clock.now() - started;
    this.#metrics?.jobs.observeRun(queue, job.task, ms);
    try {
      const decision = outcome.ok
        ? await claimed.complete(outcome.result)
        : await claimed.fail(outcome.error);
      const fields = { ...jobFields(job), durationMs: ms };
      this.#countOutcome(claimed, decision);
      span.end(
        claimed.outcomeStored ? runEnd(claimed, decision, outcome) : { outcome: "dropped" },
        this.#services.clock.now(),
      );
      if (!claimed.outcomeStored) {
        // a cancel seen here was logged as it came: the outcome it drops is no news
        if (!this.#cancelled.has(`${queue}.${job.id}.${job.nonce}`)) {
          this.#log.warn(
            "the job was cancelled or taken over meanwhile; its outcome here was dropped",
            fields,
          );
        }
      } else if (decision.kind === "complete") {
        this.#log.info(`completed in ${ms} ms`, fields);
      } else {
        const error = claimed.job.errors.at(-1)?.message;
        this.#log.warn(
          decision.kind === "retry"
            ? `failed attempt ${job.attempt}; retry in ${decision.delayMs} ms`
            : `dead after attempt ${job.attempt}: ${decision.reason}`,
          { ...fields, error },
        );
      }
    } catch (err) {
      span.end({ outcome: "not stored", error: err }, this.#services.clock.now());
      // the outcome was not stored, so the message was not acknowledged: it comes back
      this.#log.error(`naq worker ${this.id}: could not store the outcome of job ${job.id}`, {
        ...jobFields(job),
        error: String(err),
      });
    } finally {
      // kept alive until its outcome is stored: a write that waits out a leader election
      // outlasts the ack wait, and the job would run again meanwhile (a claim that is done
      // ignores a keep-alive)
      this.#beats.delete(claimed);
    }
  }

  /** Counts what became of a job that ran here, for the metrics. */
  #countOutcome(claimed: ClaimedJob, decision: Decision): void {
    const metrics = this.#metrics?.jobs;
    if (!metrics) return;
    const { queue, task, id, nonce } = claimed.job;
    if (!claimed.outcomeStored) {
      // moved on meanwhile: cancelled while it ran here, or finished elsewhere (counted there)
      if (this.#cancelled.has(`${queue}.${id}.${nonce}`)) metrics.count("cancelled", queue, task);
      return;
    }
    if (decision.kind === "complete") return metrics.count("completed", queue, task);
    metrics.count("failed", queue, task);
    metrics.count(decision.kind === "retry" ? "retried" : "dead", queue, task);
  }

  /** The first stop signal closes gracefully, saying so; a second hands running jobs back. */
  #onStopSignal(): void {
    this.#stopSignals += 1;
    const running = this.#running.size;
    const jobs = `${running} running job${running === 1 ? "" : "s"}`;
    if (this.#stopSignals === 1) {
      this.#log.info(
        `naq worker ${this.id}: stopping; waiting up to ${
          formatDuration(this.#shutdownTimeoutMs)
        } for ${jobs} (Ctrl-C again to hand them back now)`,
      );
      void this.close();
    } else if (this.#stopSignals === 2) {
      this.#log.info(
        `naq worker ${this.id}: handing back ${jobs} for immediate redelivery elsewhere`,
      );
      this.#hurry.abort();
    }
  }

  async #shutdown(): Promise<void> {
    this.#stopping.abort();
    void this.#registration?.refresh(); // draining
    await this.#loops; // pulls end within about a second
    const settled = Promise.allSettled([...this.#inFlight]);
    const stopWaiting = new AbortController();
    const deadline = this.#services.clock.sleep(this.#shutdownTimeoutMs, stopWaiting.signal)
      .then(() => "late" as const, () => "settled" as const);
    const hurried = new Promise<"late">((resolve) => {
      if (this.#hurry.signal.aborted) resolve("late");
      this.#hurry.signal.addEventListener("abort", () => resolve("late"), { once: true });
    });
    const first = await Promise.race([settled, deadline, hurried]);
    stopWaiting.abort();
    if (first === "late") {
      this.#pastDeadline = true;
      await Promise.allSettled([...this.#running].map(async ([claimed, controller]) => {
        this.#handedBack.add(claimed);
        controller.abort(new Error(`worker ${this.id} is shutting down`));
        await claimed.handBack();
        this.#log.info("handed back, unfinished, for immediate redelivery", jobFields(claimed.job));
      }));
    }
    await Promise.allSettled([...this.#inFlight]);
    // only now: a job still running while the worker drains can be cancelled and looked at
    for (const stop of this.#stopFollowing) stop();
    this.#stopBeats?.();
    await this.#scheduler; // hands its lease over when it led
    await this.#registration?.close();
    try {
      await (await this.#services.get(EventService)).flush();
    } catch {
      // the manager may be closed already
    }
    await this.#metrics?.close();
    if (this.#ownsServices) await this.#services.close();
  }
}

/** How a run span ends: with the attempt's error when it failed. */
function runEnd(
  claimed: ClaimedJob,
  decision: Decision,
  outcome: { ok: true } | { ok: false; error: unknown },
): RunEnd {
  if (decision.kind === "complete") return { outcome: "completed" };
  // a result that could not be stored failed the attempt too: its error is the record's
  const error = outcome.ok ? new Error(claimed.job.errors.at(-1)?.message) : outcome.error;
  return { outcome: decision.kind, error };
}
