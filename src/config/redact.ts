/**
 * Hides secrets before a configuration is printed or logged.
 *
 * @module
 */
import type { NaqConfig } from "./types.ts";

/** The text that stands in for a secret. */
export const REDACTED = "<redacted>";

/** The key paths under `nats` whose values are secrets. */
export const SECRET_KEYS: readonly ("pass" | "token" | "nkeySeed")[] = [
  "pass",
  "token",
  "nkeySeed",
];

/**
 * A copy of `config` with every secret that is set (those of {@linkcode SECRET_KEYS}, and
 * `dashboard.token`) replaced by `"<redacted>"`.
 *
 * @param config a resolved configuration
 * @returns a frozen copy, safe to print
 *
 * @example Print a configuration safely
 * ```ts
 * import { createConfig } from "./create.ts";
 * import { redactConfig } from "./redact.ts";
 * redactConfig(createConfig({ nats: { token: "s3cret" } })).nats.token; // "<redacted>"
 * ```
 */
export function redactConfig(config: NaqConfig): NaqConfig {
  const nats = { ...config.nats };
  for (const key of SECRET_KEYS) {
    if (nats[key] !== undefined) nats[key] = REDACTED;
  }
  const dashboard = config.dashboard?.token === undefined
    ? config.dashboard
    : Object.freeze({ ...config.dashboard, token: REDACTED });
  return Object.freeze({ ...config, nats: Object.freeze(nats), dashboard });
}
