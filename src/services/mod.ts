/**
 * The service layer: one {@linkcode ServiceManager} owns one NATS connection and every
 * service built on it. The core services (`core/`) are the only files that import
 * `@nats-io/*`; the business services (`business/`) are built on them.
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
export type { ClaimedJob } from "./business/jobs/claimed_job.ts";
export type { Delivery } from "./core/queue_consumer.ts";
export {
  type DeadLetter,
  DeadLetterService,
  type StoredDeadLetter,
} from "./business/dead_letter_service.ts";
export { type EventFilter, EventService } from "./business/event_service.ts";
export {
  type Enqueued,
  type EnqueueRequest,
  JobService,
  type QueueStats,
} from "./business/jobs/job_service.ts";
export type { StreamFeed } from "./core/stream_feed.ts";
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
export { WorkerRegistry } from "./business/worker_registry.ts";
export type { WorkerEntry } from "../core/worker_entry.ts";
