/**
 * The settings one queue runs with: `queueDefaults` with the queue's own overrides on top.
 *
 * @module
 */
import { deepFreeze } from "./_freeze.ts";
import type { NaqConfig, QueueSettings } from "./types.ts";

/**
 * Merges `config.queueDefaults` with `config.queues[queue]`, field by field, so a queue can
 * override just `backoff.delay`.
 *
 * @param config a resolved configuration
 * @param queue a queue name; a queue without overrides gets the defaults
 * @returns the queue's settings, frozen
 *
 * @example A queue that overrides one backoff field
 * ```ts
 * import { createConfig } from "./create.ts";
 * import { queueSettings } from "./queue_settings.ts";
 * const config = createConfig({ queues: { emails: { backoff: { delay: "5s" } } } });
 * queueSettings(config, "emails").backoff.delay; // 5000
 * queueSettings(config, "emails").backoff.type; // "exponential"
 * ```
 */
export function queueSettings(config: NaqConfig, queue: string): QueueSettings {
  const defaults = config.queueDefaults;
  const own = Object.hasOwn(config.queues, queue) ? config.queues[queue] : {};
  return deepFreeze({
    ackWait: own.ackWait ?? defaults.ackWait,
    attempts: own.attempts ?? defaults.attempts,
    maxInFlight: own.maxInFlight ?? defaults.maxInFlight,
    maxStalls: own.maxStalls ?? defaults.maxStalls,
    backoff: { ...defaults.backoff, ...withoutUndefined(own.backoff ?? {}) },
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
