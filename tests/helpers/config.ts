import { type ConfigInput, createConfig, type NaqConfig } from "../../src/config/mod.ts";

/** A configuration for `urls`, with short timeouts so failing tests fail fast. */
export function testConfig(
  urls: string | readonly string[],
  overrides: ConfigInput = {},
): NaqConfig {
  return createConfig({
    ...overrides,
    nats: {
      servers: typeof urls === "string" ? [urls] : [...urls],
      connectTimeout: "2s",
      reconnect: { wait: "100ms" },
      ...overrides.nats,
    },
  });
}

/** Polls `check` every 25 ms until it returns true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
