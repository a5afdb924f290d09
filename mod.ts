/**
 * naq: a job queue for Deno on NATS JetStream.
 *
 * Define tasks with {@linkcode defineTask}, enqueue jobs with a {@linkcode Queue}, run them
 * with a {@linkcode Worker}; a {@linkcode Scheduler} (which every worker also runs) fires cron
 * and interval schedules. Configuration resolves once with {@linkcode loadConfig}, from
 * defaults, a YAML file, `NAQ_*` environment variables and overrides. Durations are
 * milliseconds or text such as `"30s"`, wherever an option takes one.
 *
 * This entry point is what applications write against. The service layer under it (the
 * NATS connection, streams, KV buckets, wire names) is `@naq/naq/services`.
 *
 * @example Enqueue a job, run it with a worker, and wait for its result
 * ```ts
 * import { defineTask, loadConfig, Queue, Worker } from "@naq/naq";
 *
 * const sendEmail = defineTask("send-email", async (payload: { to: string }, ctx) => {
 *   ctx.log.info(`sending to ${payload.to}`);
 *   return { sent: true };
 * }, { attempts: 5, timeout: "30s" });
 *
 * const config = await loadConfig();
 * await using worker = new Worker("emails", [sendEmail], { config });
 * worker.run();
 *
 * await using queue = new Queue("emails", { config });
 * const job = await queue.enqueue(sendEmail, { to: "ada@example.com" }, { delay: "1s" });
 * console.log(await job.result({ timeout: "10s" })); // { sent: true }
 * ```
 *
 * @module
 */
export {
  type BackoffInput,
  type BackoffSettings,
  type BackoffType,
  type ConfigInput,
  createConfig,
  type DurationInput,
  loadConfig,
  type LoadConfigOptions,
  type NaqConfig,
  type NatsSettings,
  type PartialQueueSettings,
  type QueueSettings,
  queueSettings,
  type QueueSettingsInput,
  resolveConfig,
  type ResolvedConfig,
  type SizeInput,
  type TlsSettings,
} from "./src/config/mod.ts";
// one connection shared by a process's queues, workers and schedulers (`{ services }`, with
// an injected clock if need be); the services it builds are in `@naq/naq/services`
export { ServiceManager } from "./src/services/core/service_manager.ts";
// what a Queue's calls return, though the services define them
export type { DeadLetter, StoredDeadLetter } from "./src/services/business/dead_letter_service.ts";
export type { QueueStats } from "./src/services/business/jobs/job_service.ts";
export {
  type EnqueueItem,
  type EnqueueOptions,
  type EventsOptions,
  type JobHandle,
  type ListJobsOptions,
  Queue,
  type QueueDeleted,
  type ResultOptions,
  type ScheduleOptions,
  type ScheduleTimingInput,
  type ScheduleUpdate,
  type ServicesOption,
} from "./src/queue.ts";
export { Scheduler, type SchedulerOptions, type SchedulerStatus } from "./src/scheduler.ts";
export { consoleLogger, Worker, type WorkerLogger, type WorkerOptions } from "./src/worker.ts";
export type { MetricsListen } from "./src/metrics/metrics_server.ts";
export {
  defineTask,
  type Task,
  type TaskContext,
  type TaskDefaults,
  type TaskHandler,
  type TaskLogger,
  type TaskOptions,
} from "./src/task.ts";
export type {
  ActiveJob,
  AttemptError,
  CancelledJob,
  CompletedJob,
  DeadJob,
  DelayedJob,
  FailedJob,
  FinishedJob,
  JobBase,
  JobOptions,
  JobRecord,
  JobState,
  ScheduleFiring,
  WaitingJob,
} from "./src/core/job.ts";
export type {
  MissedPolicy,
  ScheduledJobOptions,
  ScheduleLimits,
  ScheduleRecord,
  ScheduleTiming,
} from "./src/core/schedule.ts";
export type { InstantInput } from "./src/core/instant.ts";
export type { SinceInput } from "./src/core/since.ts";
export type { JobEvent, JobEventType } from "./src/core/job_event.ts";
export type { WorkerEntry } from "./src/core/worker_entry.ts";
export { type Clock, systemClock } from "./src/clock.ts";
export {
  ConfigError,
  ConnectionError,
  ErrorCode,
  isNaqError,
  JobFailedError,
  NaqError,
  TimeoutError,
  UnrecoverableError,
} from "./src/errors.ts";
