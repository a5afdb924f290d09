import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger } from "./_helpers.ts";

Deno.test("a job over its timeout has its signal aborted, fails the attempt, and is retried", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: { ackWait: "5s", backoff: { type: "fixed", delay: 20, jitter: 0 } },
  });
  await using queue = new Queue("timeouts", { config });

  const seen: { attempt: number; aborted: boolean; reason: unknown; afterMs: number }[] = [];
  const slowThenFast = defineTask("slow-then-fast", async (_payload: null, ctx) => {
    if (ctx.attempt > 1) return "fast enough";
    const started = Date.now();
    // waits only on the signal: without the timeout this attempt never ends
    const reason = await new Promise((resolve) => {
      ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason), { once: true });
    });
    seen.push({
      attempt: ctx.attempt,
      aborted: ctx.signal.aborted,
      reason,
      afterMs: Date.now() - started,
    });
    throw reason;
  });
  await using worker = new Worker("timeouts", [slowThenFast], {
    config,
    id: "timer",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();

  const handle = await queue.enqueue(slowThenFast, null, { timeout: 200, attempts: 3 });
  assert.equal(await handle.result({ timeout: "10s" }), "fast enough");
  await worker.close();
  await running;

  assert.equal(seen.length, 1, "the first attempt saw its signal abort once");
  const [first] = seen;
  assert.equal(first.attempt, 1);
  assert.equal(first.aborted, true);
  assert.ok(first.reason instanceof Error, `reason: ${first.reason}`);
  assert.equal(first.reason.name, "TimeoutError");
  assert.ok(first.afterMs >= 190 && first.afterMs < 2_000, `aborted after ${first.afterMs} ms`);

  const job = await queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.attempt, 2);
  assert.equal(job.result, "fast enough");
  assert.equal(job.errors.length, 1);
  const [error] = job.errors;
  assert.equal(error.attempt, 1);
  assert.equal(error.name, "TimeoutError");
  assert.match(error.message, /timed out after 200 ms/);
  assert.equal(error.worker, "timer");
});

Deno.test("a handler that ignores its signal still fails the attempt at the timeout", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: { ackWait: "5s", backoff: { type: "fixed", delay: 20, jitter: 0 } },
  });
  await using queue = new Queue("timeouts", { config });
  const attempts: number[] = [];
  const stubborn = defineTask("stubborn", async (_payload: null, ctx) => {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 1_500));
    return `attempt ${ctx.attempt}`;
  });
  await using worker = new Worker("timeouts", [stubborn], {
    config,
    id: "timer",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();

  const handle = await queue.enqueue(stubborn, null, { timeout: 200, attempts: 2 });
  assert.equal(await handle.result({ timeout: "10s" }), "attempt 2");
  // let the ignored first attempt run out, so its late return can show if it is stored
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await worker.close();
  await running;

  assert.deepEqual(attempts, [1, 2]);
  const job = await queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.result, "attempt 2", "the late first attempt did not overwrite the result");
  assert.deepEqual(job.errors.map((error) => [error.attempt, error.name]), [[1, "TimeoutError"]]);
});
