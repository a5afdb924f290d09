import { type ConfigInput, createConfig, type NaqConfig } from "../../src/config/mod.ts";
import type { ManualClock } from "./manual_clock.ts";
import type { NatsServer } from "./nats_server.ts";

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

/**
 * Polls `check` until it returns true, or fails after `timeoutMs`.
 *
 * The one place tests use real time: the poll ends as soon as the event happens, so the
 * timeout is only a bound on a test that has already failed, and is generous so that a
 * loaded machine passes.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the server counts `count` client connections. Before the client connects, a
 * probe of naq's greets the server on a connection of its own, which the server may still
 * count a moment after it closed; a connection left open stays counted, and fails the wait.
 */
export async function untilConnections(server: NatsServer, count: number): Promise<void> {
  await waitFor(
    `${count} connection(s) on the server`,
    async () => await server.connectionCount() === count,
  );
}

/**
 * Settles as `promise` does, or fails once `timeoutMs` passed first: for work whose own
 * timeouts run on a clock the test does not move, so that a broken test fails, not hangs.
 */
export async function within<T>(
  what: string,
  promise: Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await waitFor(what, () => settled, timeoutMs);
  return await promise;
}

/**
 * Resolves once every callback already queued has run. A zero-delay timer: it waits for the
 * event loop to come round, not for time to pass, so that code a driven clock just woke has
 * done all it does without I/O.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Waits for `promise`, advancing `clock` by `stepMs` until it settles: for a close whose
 * shutdown deadline passes only when that clock does, so that a job a failed test left
 * running is handed back then, instead of holding the close for ever.
 */
export async function settleAdvancing<T>(
  what: string,
  promise: Promise<T>,
  clock: ManualClock,
  stepMs: number,
): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await waitFor(what, () => {
    if (!settled) clock.advance(stepMs);
    return settled;
  });
  return await promise;
}
