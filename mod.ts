/**
 * naq: a job queue for Deno on NATS JetStream.
 *
 * Configuration resolves once, from defaults, a YAML file, `NAQ_*` environment variables and
 * explicit overrides; a {@linkcode ServiceManager} owns one NATS connection and the services
 * built on it, and is released with `await using`.
 *
 * @example Connect and make sure a stream exists
 * ```ts ignore
 * import { loadConfig, ServiceManager, StreamService } from "@naq/naq";
 *
 * await using services = new ServiceManager(await loadConfig());
 * const streams = await services.get(StreamService);
 * await streams.ensure({ name: "orders", subjects: ["orders.>"], retention: "workqueue" });
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
export {
  type BucketChange,
  type BucketOptions,
  ConnectionService,
  type DeadLetter,
  JsonBucket,
  KVStoreService,
  type QueueStats,
  type ServiceFactory,
  ServiceManager,
  type StoredDeadLetter,
  type StreamFeed,
  StreamService,
  type StreamSpec,
  type Versioned,
} from "./src/services/mod.ts";
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
export {
  defineTask,
  type Task,
  type TaskContext,
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
export { type JobMessageKind, type WireNames, wireNames } from "./src/core/names.ts";
export { formatDuration, parseDuration } from "./src/core/duration.ts";
