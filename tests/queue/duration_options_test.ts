/**
 * Every option that is a duration takes milliseconds or text with its unit, to the same effect:
 * `defineTask()`, `enqueue()`, `schedule()` (its `every` too), `result()` and `new Worker()`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { defineTask, type EnqueueOptions, TimeoutError, Worker } from "../../mod.ts";
import { settleAdvancing } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup } from "./_setup.ts";

const AS_MS = {
  timeout: 30_000,
  delay: 90_000,
  backoff: { type: "list", delay: 500, maxDelay: 3_600_000, delays: [1_000, 120_000] },
} as const satisfies EnqueueOptions;
const AS_TEXT = {
  timeout: "30s",
  delay: "1m30s",
  backoff: { type: "list", delay: "500ms", maxDelay: "1h", delays: ["1s", "2m"] },
} as const satisfies EnqueueOptions;

Deno.test("enqueue() takes its timeout, delay and backoff as ms or as text, to the same job", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const [byMs, byText] = [
    (await env.queue.enqueue("send", null, { ...AS_MS, jobId: "by-ms" })).job,
    (await env.queue.enqueue("send", null, { ...AS_TEXT, jobId: "by-text" })).job,
  ];
  assert.equal(byMs.state, "delayed");
  assert.equal(byText.state, "delayed");
  assert.deepEqual(byText.options, byMs.options);
  assert.equal(byMs.options.timeoutMs, 30_000);
  assert.deepEqual(byMs.options.backoff.delays, [1_000, 120_000]);
  if (byMs.state === "delayed" && byText.state === "delayed") {
    assert.equal(byMs.runAt, clock.now() + 90_000);
    assert.equal(byText.runAt, byMs.runAt);
  }
});

Deno.test("defineTask() takes its timeout and backoff as ms or as text, to the same job", async () => {
  await using env = await setup();
  const byMs = defineTask("by-ms", () => null, { timeout: AS_MS.timeout, backoff: AS_MS.backoff });
  const byText = defineTask("by-text", () => null, {
    timeout: AS_TEXT.timeout,
    backoff: AS_TEXT.backoff,
  });
  assert.deepEqual(byText.options, byMs.options);
  const [ms, text] = [
    (await env.queue.enqueue(byMs, null)).job.options,
    (await env.queue.enqueue(byText, null)).job.options,
  ];
  assert.equal(ms.timeoutMs, 30_000);
  assert.equal(ms.backoff.maxDelay, 3_600_000);
  assert.deepEqual(text, ms);
});

Deno.test("schedule() takes every, timeout and backoff as ms or as text, to the same schedule", async () => {
  await using env = await setup();
  const options = (given: typeof AS_MS | typeof AS_TEXT) => ({
    timeout: given.timeout,
    backoff: given.backoff,
  });
  const byMs = await env.queue.schedule("by-ms", "send", null, { every: 90_000 }, options(AS_MS));
  const byText = await env.queue.schedule(
    "by-text",
    "send",
    null,
    { every: "1m30s" },
    options(AS_TEXT),
  );
  assert.deepEqual(byMs.timing, { every: 90_000 });
  assert.deepEqual(byText.timing, byMs.timing);
  assert.deepEqual(byText.jobOptions, byMs.jobOptions);
  assert.equal(byMs.jobOptions.timeoutMs, 30_000);
});

Deno.test("result() takes its timeout as ms or as text", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  // no worker runs the jobs: each wait ends by its timeout, on the clock the test drives
  for (const [jobId, timeout] of [["by-ms", 1_000], ["by-text", "1s"]] as const) {
    await env.queue.enqueue("send", null, { jobId });
    const waiting = env.queue.result(jobId, { timeout });
    await assert.rejects(settleAdvancing(`the wait for ${jobId}`, waiting, clock, 250), (err) => {
      assert.ok(err instanceof TimeoutError, String(err));
      assert.match(err.message, /did not finish within 1000 ms/);
      return true;
    });
  }
});

Deno.test("a duration option that is not one is refused, naming the option", async () => {
  await using env = await setup();
  await assert.rejects(env.queue.enqueue("send", null, { timeout: "30" }), {
    name: "RangeError",
    message: /^Cannot parse duration "30" \(option timeout\): a number needs a unit: write "30s"/,
  });
  await assert.rejects(env.queue.enqueue("send", null, { backoff: { delays: ["1s", "2"] } }), {
    name: "RangeError",
    message: /\(option backoff\.delays\[1\]\): a number needs a unit: write "2s"/,
  });
  await assert.rejects(env.queue.schedule("s", "send", null, { every: "often" }), {
    name: "RangeError",
    message: /^Cannot parse duration "often" \(option every\): write a number followed by ms/,
  });
  assert.throws(
    () => new Worker("jobs", [], { services: env.services, shutdownTimeout: "10" }),
    { name: "RangeError", message: /\(option shutdownTimeout\): a number needs a unit/ },
  );
  for (const shutdownTimeout of [10_000, "10s"]) {
    await new Worker("jobs", [], { services: env.services, shutdownTimeout }).close();
  }
});
