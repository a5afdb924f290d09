/**
 * The service layer: one {@linkcode ServiceManager} owns one NATS connection and every
 * service built on it. Only this folder imports `@nats-io/*`.
 *
 * @module
 */
export { type ServiceFactory, ServiceManager } from "./service_manager.ts";
export { ConnectionService } from "./connection_service.ts";
export { StreamService, type StreamSpec } from "./stream_service.ts";
export {
  type BucketChange,
  type BucketOptions,
  JsonBucket,
  KVStoreService,
  type Versioned,
} from "./kv_store_service.ts";
export { type ClaimedJob, type Delivery } from "./claimed_job.ts";
export {
  type DeadLetter,
  DeadLetterService,
  type StoredDeadLetter,
} from "./dead_letter_service.ts";
export { type EventFilter, EventService } from "./event_service.ts";
export { type Enqueued, type EnqueueRequest, JobService, type QueueStats } from "./job_service.ts";
export type { StreamFeed } from "./stream_feed.ts";
export {
  type ScheduleChanges,
  type ScheduleDefinition,
  ScheduleService,
} from "./schedule_service.ts";
export { SchedulerReplica, SchedulerService, type SchedulerStatus } from "./scheduler_service.ts";
