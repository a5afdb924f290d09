/**
 * naq's configuration: defaults, one YAML file, `NAQ_*` environment variables and
 * overrides, validated into one frozen {@linkcode NaqConfig}. Every problem is reported
 * with the file and line, variable or override it came from.
 *
 * @example Load, then read a queue's settings
 * ```ts
 * import { loadConfig, queueSettings } from "@naq/naq";
 *
 * const config = await loadConfig({ overrides: { worker: { concurrency: 4 } } });
 * const emails = queueSettings(config, "emails");
 * console.log(emails.ackWait); // milliseconds
 * ```
 *
 * @module
 */
export { createConfig } from "./create.ts";
export { defaultConfig } from "./defaults.ts";
export { envVarName } from "./env.ts";
export { loadConfig, type LoadConfigOptions, resolveConfig, type ResolvedConfig } from "./load.ts";
export { queueSettings } from "./queue_settings.ts";
export { redactConfig, REDACTED } from "./redact.ts";
export type {
  BackoffInput,
  BackoffSettings,
  BackoffType,
  ConfigInput,
  DurationInput,
  NaqConfig,
  NatsSettings,
  PartialQueueSettings,
  QueueSettings,
  QueueSettingsInput,
  SizeInput,
  TlsSettings,
} from "./types.ts";
