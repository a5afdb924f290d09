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
  type ConfigInput,
  createConfig,
  loadConfig,
  type LoadConfigOptions,
  type NaqConfig,
  type QueueSettings,
  queueSettings,
  resolveConfig,
  type ResolvedConfig,
} from "./src/config/mod.ts";
export {
  type BucketOptions,
  ConnectionService,
  JsonBucket,
  KVStoreService,
  type ServiceFactory,
  ServiceManager,
  StreamService,
  type StreamSpec,
  type Versioned,
} from "./src/services/mod.ts";
export {
  ConfigError,
  ConnectionError,
  ErrorCode,
  isNaqError,
  NaqError,
  TimeoutError,
} from "./src/errors.ts";
export { type WireNames, wireNames } from "./src/core/names.ts";
export { formatDuration, parseDuration } from "./src/core/duration.ts";
