/**
 * `@naq/naq/services`: the layer under `Queue`, `Worker` and `Scheduler`. One
 * {@linkcode ServiceManager} owns one NATS connection and every service built on it: the core
 * services (connection, streams, KV buckets) and the business services (jobs, events, dead
 * letters, schedules) built on them, with the names naq uses on the wire
 * ({@linkcode wireNames}). For tools that look under naq's hood: an application needs only
 * `@naq/naq`.
 *
 * @example Read a queue's stream through the services a Queue uses
 * ```ts
 * import { loadConfig } from "@naq/naq";
 * import { ServiceManager, StreamService, wireNames } from "@naq/naq/services";
 *
 * const config = await loadConfig();
 * await using services = new ServiceManager(config);
 * const streams = await services.get(StreamService);
 * console.log(await streams.info(wireNames(config.prefix).queueStream("emails")));
 * ```
 *
 * @module
 */
export { type ServiceFactory, ServiceManager } from "./core/service_manager.ts";
export { ConnectionService } from "./core/connection_service.ts";
export { StreamService, type StreamSpec } from "./core/stream_service.ts";
export {
  type BucketChange,
  type BucketOptions,
  JsonBucket,
  KVStoreService,
  type Versioned,
} from "./core/kv_store_service.ts";
export type { ClaimedJob, Decision } from "./business/jobs/claimed_job.ts";
export type { GivenOptions } from "../core/envelope.ts";
export type { Delivery } from "./core/queue_consumer.ts";
export {
  type DeadLetter,
  DeadLetterService,
  type StoredDeadLetter,
} from "./business/dead_letter_service.ts";
export { type EventFilter, EventService } from "./business/event_service.ts";
export type { HistoryFilter } from "./business/event_history.ts";
export {
  type Enqueued,
  type EnqueueRequest,
  type JobPage,
  type JobPageOptions,
  JobService,
  type QueueStats,
} from "./business/jobs/job_service.ts";
export type { StreamFeed } from "./core/stream_feed.ts";
export { type PauseFlag, QueueStateService } from "./business/queue_state_service.ts";
export {
  type ScheduleChanges,
  type ScheduleDefinition,
  ScheduleService,
} from "./business/schedule_service.ts";
export {
  SchedulerReplica,
  SchedulerService,
  type SchedulerStatus,
} from "./business/scheduler_service.ts";
export { type JobMessageKind, type WireNames, wireNames } from "../core/names.ts";
export { WorkerRegistry } from "./business/worker_registry.ts";
export type { WorkerEntry } from "../core/worker_entry.ts";
