import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { onExit, silentLogger, WatchedClock } from "./_helpers.ts";

// on the worker's clock, which moves only when the test advances it
const TIMEOUT_MS = 3_000;
const BACKOFF_MS = 20;

/** A server, a worker's manager on a driven clock, and a queue on real time for result(). */
async function timeoutSetup() {
  const server = await startNatsServer();
  const config = testConfig(server.url, {
    // long enough that no heartbeat is needed while the test drives the worker's clock
    queueDefaults: { ackWait: "1m", backoff: { type: "fixed", delay: BACKOFF_MS, jitter: 0 } },
  });
  const clock = new WatchedClock();
  const services = new ServiceManager(config, { clock });
  const queue = new Queue("timeouts", { config });
  return {
    clock,
    services,
    queue,
    /**
     * Waits for attempt 1 to fail. Its retry is due by the worker's clock, which stands in
     * the past: the server, on its own clock, fires it at once.
     */
    async retry(jobId: string) {
      await waitFor(
        "attempt 1 to fail",
        async () => ((await queue.getJob(jobId))?.errors.length ?? 0) >= 1,
        30_000,
      );
    },
    async [Symbol.asyncDispose]() {
      await queue.close();
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a job over its timeout has its signal aborted, fails the attempt, and is retried", async () => {
  await using s = await timeoutSetup();
  const signals: AbortSignal[] = [];
  const seen: { attempt: number; reason: unknown }[] = [];
  const slowThenFast = defineTask("slow-then-fast", async (_payload: null, ctx) => {
    if (ctx.attempt > 1) return "fast enough";
    signals.push(ctx.signal);
    // waits only on the signal: without the timeout this attempt never ends
    const reason = await new Promise((resolve) => {
      ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason), { once: true });
    });
    seen.push({ attempt: ctx.attempt, reason });
    throw reason;
  });
  await using worker = new Worker("timeouts", [slowThenFast], {
    services: s.services,
    id: "timer",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  // times attempt 1 out, so that the worker can close, should an assertion fail before that
  using _timeOut = onExit(() => s.clock.advance(TIMEOUT_MS));

  const handle = await s.queue.enqueue(slowThenFast, null, { timeout: TIMEOUT_MS, attempts: 3 });
  await waitFor(
    "attempt 1 to run against its timeout",
    () => signals.length === 1 && s.clock.sleepingFor(TIMEOUT_MS),
    30_000,
  );
  s.clock.advance(TIMEOUT_MS - 1);
  // a round trip, in which a timeout come too early would have aborted the signal
  assert.equal((await s.queue.getJob(handle.id))?.state, "active");
  assert.equal(signals[0].aborted, false, "aborted before its timeout");
  s.clock.advance(1);
  await s.retry(handle.id);
  assert.equal(await handle.result({ timeout: "60s" }), "fast enough");
  await worker.close();
  await running;

  assert.equal(seen.length, 1, "the first attempt saw its signal abort once");
  const [first] = seen;
  assert.equal(first.attempt, 1);
  assert.ok(first.reason instanceof Error, `reason: ${first.reason}`);
  assert.equal(first.reason.name, "TimeoutError");

  const job = await s.queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.attempt, 2);
  assert.equal(job.result, "fast enough");
  assert.equal(job.errors.length, 1);
  const [error] = job.errors;
  assert.equal(error.attempt, 1);
  assert.equal(error.name, "TimeoutError");
  assert.match(error.message, new RegExp(`timed out after ${TIMEOUT_MS} ms`));
  assert.equal(error.worker, "timer");
});

Deno.test("a handler that ignores its signal still fails the attempt at the timeout", async () => {
  await using s = await timeoutSetup();
  const attempts: number[] = [];
  // the first attempt ignores its signal and returns only when the test says
  const late = Promise.withResolvers<void>();
  const returnedLate = Promise.withResolvers<void>();
  const stubborn = defineTask("stubborn", async (_payload: null, ctx) => {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) {
      await late.promise;
      returnedLate.resolve();
    }
    return `attempt ${ctx.attempt}`;
  });
  await using worker = new Worker("timeouts", [stubborn], {
    services: s.services,
    id: "timer",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  using _returnLate = onExit(() => late.resolve());

  const handle = await s.queue.enqueue(stubborn, null, { timeout: TIMEOUT_MS, attempts: 2 });
  await waitFor(
    "attempt 1 to run against its timeout",
    () => attempts.length === 1 && s.clock.sleepingFor(TIMEOUT_MS),
    30_000,
  );
  s.clock.advance(TIMEOUT_MS);
  await s.retry(handle.id);
  assert.equal(await handle.result({ timeout: "60s" }), "attempt 2");
  // the ignored first attempt returns now: its late return would be stored from here on
  late.resolve();
  await returnedLate.promise;
  await worker.close();
  await running;

  assert.deepEqual(attempts, [1, 2]);
  const job = await s.queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.result, "attempt 2", "the late first attempt did not overwrite the result");
  assert.deepEqual(job.errors.map((error) => [error.attempt, error.name]), [[1, "TimeoutError"]]);
});
