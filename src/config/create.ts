/**
 * Builds a configuration from defaults and code alone, with no file and no environment.
 *
 * @module
 */
import { plainLayer } from "./layer.ts";
import type { ConfigInput, NaqConfig } from "./types.ts";
import { validateLayers } from "./validate.ts";

/**
 * Resolves `input` over the defaults; reads no file and no environment variable, so it
 * suits tests and programs that configure naq in code.
 *
 * @param input settings to change from the defaults
 * @returns the resolved configuration, deeply frozen
 * @throws {ConfigError} listing every invalid setting
 *
 * @example Configure in code
 * ```ts
 * import { createConfig } from "./create.ts";
 * const config = createConfig({ queueDefaults: { ackWait: "1m" } });
 * config.queueDefaults.ackWait; // 60000
 * ```
 */
export function createConfig(input: ConfigInput = {}): NaqConfig {
  return validateLayers([plainLayer(input as Record<string, unknown>, { kind: "input" })]);
}
