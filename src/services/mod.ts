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
  type BucketOptions,
  JsonBucket,
  KVStoreService,
  type Versioned,
} from "./kv_store_service.ts";
