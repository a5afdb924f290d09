/**
 * The configuration naq uses when nothing is set.
 *
 * @module
 */
import { deepFreeze } from "./_freeze.ts";
import { configSchema } from "./schema.ts";
import type { NaqConfig } from "./types.ts";

let cached: NaqConfig | undefined;

/**
 * The default configuration, resolved and frozen.
 *
 * @returns the same frozen object on every call
 */
export function defaultConfig(): NaqConfig {
  return cached ??= deepFreeze(configSchema.parse({}) as NaqConfig);
}
