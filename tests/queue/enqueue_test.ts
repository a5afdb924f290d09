import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup } from "./_setup.ts";
import { inState } from "../helpers/in_state.ts";

Deno.test("enqueue() stores a waiting job that getJob() returns as enqueued", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const handle = await env.queue.enqueue("send-email", { to: "a@example.com" });
  assert.equal(handle.queue, "jobs");
  assert.equal(handle.id, handle.job.id);
  assert.match(handle.id, /^[0-9a-f-]{36}$/, "a random UUID when no id is given");
  assert.equal(handle.job.state, "waiting");
  assert.equal(handle.job.task, "send-email");
  assert.deepEqual(handle.job.payload, { to: "a@example.com" });
  assert.equal(handle.job.attempt, 0);
  assert.deepEqual(handle.job.errors, []);
  assert.equal(handle.job.enqueuedAt, clock.now());
  assert.equal(handle.job.startedAt, undefined);
  assert.equal("finishedAt" in handle.job, false);
  assert.deepEqual(await env.queue.getJob(handle.id), handle.job);
});

Deno.test("getJob() returns null for an unknown id and throws a TypeError for a bad one", async () => {
  await using env = await setup();
  assert.equal(await env.queue.getJob("never-enqueued"), null);
  await assert.rejects(env.queue.getJob("a.b"), {
    name: "TypeError",
    message: /Cannot use "a\.b" as a job id/,
  });
  await assert.rejects(env.queue.enqueue("t", null, { jobId: "no spaces" }), {
    name: "TypeError",
  });
});

Deno.test("getJob() shows an active job's attempt, start time and progress", async () => {
  await using env = await setup();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const slow = defineTask("slow", async (_: null, ctx) => {
    await ctx.progress({ done: 1, of: 2 });
    await released;
    await ctx.progress({ done: 2, of: 2 });
    return { total: 2 };
  });
  const worker = env.worker([slow]);
  const handle = await env.queue.enqueue(slow, null);
  await waitFor(
    "the job to report progress",
    async () => (await env.queue.getJob(handle.id))?.progress !== undefined,
  );
  const active = (await env.queue.getJob(handle.id))!;
  assert.equal(active.state, "active");
  assert.equal(active.attempt, 1);
  assert.equal(active.worker, worker.id);
  assert.deepEqual(active.progress, { done: 1, of: 2 });
  assert.ok(active.startedAt! >= active.enqueuedAt);
  assert.equal("finishedAt" in active, false);
  release();

  assert.deepEqual(await handle.result({ timeout: "30s" }), { total: 2 });
  const done = (await env.queue.getJob(handle.id))!;
  assert.equal(done.state, "completed");
  assert.equal(done.attempt, 1);
  assert.deepEqual(done.progress, { done: 2, of: 2 });
  assert.deepEqual(done.result, { total: 2 });
  assert.deepEqual(done.errors, []);
  assert.ok(done.finishedAt! >= done.startedAt!);
});

Deno.test("getJob() keeps the error of each failed attempt, and the last attempt's number", async () => {
  await using env = await setup();
  const flaky = defineTask("flaky", (_: null, ctx) => {
    if (ctx.attempt < 3) throw new TypeError(`attempt ${ctx.attempt} broke`);
    return "third time lucky";
  });
  env.worker([flaky]);
  const handle = await env.queue.enqueue(flaky, null, { attempts: 3 });
  assert.equal(await handle.result({ timeout: "30s" }), "third time lucky");
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "completed");
  assert.equal(job.attempt, 3);
  assert.deepEqual(job.errors.map((error) => [error.attempt, error.name, error.message]), [
    [1, "TypeError", "attempt 1 broke"],
    [2, "TypeError", "attempt 2 broke"],
  ]);
  assert.ok(job.errors.every((error) => error.at >= job.enqueuedAt && error.worker));
  assert.equal("retryAt" in job, false, "no retry is due once it completed");
});

Deno.test("getJob() shows a dead job with every attempt's error and why it died", async () => {
  await using env = await setup();
  const broken = defineTask("broken", (_: null, ctx) => {
    throw new Error(`no luck on attempt ${ctx.attempt}`);
  });
  env.worker([broken]);
  const handle = await env.queue.enqueue(broken, null, { attempts: 2 });
  await handle.result({ timeout: "30s" }).catch(() => {});
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.equal(job.attempt, 2);
  assert.equal(job.deadReason, "failed 2 of 2 attempts");
  assert.deepEqual(job.errors.map((error) => error.message), [
    "no luck on attempt 1",
    "no luck on attempt 2",
  ]);
  assert.equal("result" in job, false);
  assert.ok(job.finishedAt! >= job.startedAt!);
});

Deno.test("the same jobId enqueued twice while waiting is one job, run once", async () => {
  await using env = await setup();
  const runs: string[] = [];
  const record = defineTask("record", (payload: string) => void runs.push(payload));
  const first = await env.queue.enqueue(record, "first", { jobId: "order-1" });
  const second = await env.queue.enqueue(record, "second", { jobId: "order-1" });
  assert.equal(second.id, "order-1");
  assert.deepEqual(second.job, first.job, "the second enqueue returns the first job");
  assert.deepEqual(second.job.payload, "first");

  env.worker([record], 1);
  await first.result({ timeout: "30s" });
  // one worker, one at a time, in order: a second copy would have run before this one
  await (await env.queue.enqueue(record, "marker")).result({ timeout: "30s" });
  assert.deepEqual(runs, ["first", "marker"]);
  assert.equal((await env.queue.stats()).completed, 2);
});

Deno.test("a jobId enqueued again after its job completed returns that job, not a new run", async () => {
  await using env = await setup();
  const runs: string[] = [];
  const record = defineTask("record", (payload: string) => {
    runs.push(payload);
    return payload.toUpperCase();
  });
  env.worker([record], 1);
  const first = await env.queue.enqueue(record, "first", { jobId: "order-2" });
  assert.equal(await first.result({ timeout: "30s" }), "FIRST");

  const again = await env.queue.enqueue(record, "again", { jobId: "order-2" });
  assert.equal(again.job.state, "completed");
  assert.equal(again.job.result, "FIRST");
  assert.equal(await again.result({ timeout: "30s" }), "FIRST");
  await (await env.queue.enqueue(record, "marker")).result({ timeout: "30s" });
  assert.deepEqual(runs, ["first", "marker"]);
});

Deno.test("a jobId enqueued again after the dedup window still does not run twice", async () => {
  await using env = await setup();
  const runs: string[] = [];
  const record = defineTask("record", (payload: string) => void runs.push(payload));
  env.worker([record], 1);
  const first = await env.queue.enqueue(record, "first", { jobId: "order-3" });
  await first.result({ timeout: "30s" });
  // shrink the stream's duplicate window: the job's stored record refuses the copy anyway
  const jsm = await (await env.services.get(ConnectionService)).jetstreamManager();
  const stream = wireNames(env.services.config.prefix).queueStream("jobs");
  const { config } = await jsm.streams.info(stream);
  await jsm.streams.update(stream, { ...config, duplicate_window: 100 * 1_000_000 });
  const before = (await jsm.streams.info(stream)).state.last_seq;

  const again = await env.queue.enqueue(record, "again", { jobId: "order-3" });
  assert.equal(again.duplicate, true);
  assert.equal(again.job.state, "completed", "the stored job is returned");
  assert.equal((await jsm.streams.info(stream)).state.last_seq, before, "nothing was stored");
  await (await env.queue.enqueue(record, "marker")).result({ timeout: "30s" });
  assert.deepEqual(runs, ["first", "marker"]);
  assert.equal((await env.queue.getJob("order-3"))?.state, "completed");
});

Deno.test("enqueueMany() returns one handle per item, in order, each runnable", async () => {
  await using env = await setup();
  const double = defineTask("double", (n: number) => n * 2);
  const items = Array.from({ length: 50 }, (_, i) => ({
    task: double,
    payload: i,
    options: i % 10 === 0 ? { jobId: `tenth-${i}` } : undefined,
  }));
  const handles = await env.queue.enqueueMany(items);
  assert.equal(handles.length, 50);
  handles.forEach((handle, i) => {
    assert.equal(handle.job.payload, i);
    assert.equal(handle.job.state, "waiting");
    if (i % 10 === 0) assert.equal(handle.id, `tenth-${i}`);
  });
  assert.equal(new Set(handles.map((handle) => handle.id)).size, 50);
  env.worker([double], 8);
  const results = await Promise.all(handles.map((handle) => handle.result({ timeout: "30s" })));
  assert.deepEqual(results, items.map((_, i) => i * 2));
});

Deno.test("enqueueMany() of nothing returns no handles", async () => {
  await using env = await setup();
  assert.deepEqual(await env.queue.enqueueMany([]), []);
});

Deno.test("a task's defaults apply to its jobs, and enqueue() options override them", async () => {
  await using env = await setup();
  const withDefaults = defineTask("with-defaults", () => null, {
    attempts: 5,
    timeout: "1.5s",
    backoff: { type: "fixed", delay: 40 },
  });
  const byDefault = (await env.queue.enqueue(withDefaults, null)).job.options;
  assert.equal(byDefault.attempts, 5);
  assert.equal(byDefault.timeoutMs, 1_500);
  assert.equal(byDefault.backoff.type, "fixed");
  assert.equal(byDefault.backoff.delay, 40);
  assert.equal(byDefault.backoff.jitter, 0, "the rest of the backoff comes from the queue");

  const overridden = (await env.queue.enqueue(withDefaults, null, {
    attempts: 2,
    timeout: "3s",
    backoff: { delay: 70 },
  })).job.options;
  assert.equal(overridden.attempts, 2);
  assert.equal(overridden.timeoutMs, 3_000);
  assert.equal(overridden.backoff.type, "fixed", "kept from the task");
  assert.equal(overridden.backoff.delay, 70);

  const byName = (await env.queue.enqueue("with-defaults", null)).job.options;
  assert.equal(byName.attempts, 3, "a task named by string gets the queue's default");
  assert.equal(byName.timeoutMs, 0);
});

Deno.test("a task's attempts decide how often a failing job runs; enqueue() overrides it", async () => {
  await using env = await setup();
  const runs = new Map<string, number>();
  const failing = defineTask("failing", (_: null, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    throw new Error("always");
  }, { attempts: 4 });
  env.worker([failing]);
  const byTask = await env.queue.enqueue(failing, null);
  const byEnqueue = await env.queue.enqueue(failing, null, { attempts: 1 });
  await Promise.allSettled([
    byTask.result({ timeout: "30s" }),
    byEnqueue.result({ timeout: "30s" }),
  ]);
  assert.equal(runs.get(byTask.id), 4);
  assert.equal(runs.get(byEnqueue.id), 1);
  assert.equal(
    inState(await env.queue.getJob(byTask.id), "dead").deadReason,
    "failed 4 of 4 attempts",
  );
  assert.equal(
    inState(await env.queue.getJob(byEnqueue.id), "dead").deadReason,
    "failed 1 of 1 attempt",
  );
});

Deno.test("enqueue() rejects bad options with a RangeError that shows the value", async () => {
  await using env = await setup();
  await assert.rejects(env.queue.enqueue("t", null, { attempts: 0 }), {
    name: "RangeError",
    message: "Cannot enqueue as options are invalid: 'attempts': Too small: expected number " +
      "to be >0, got 0",
  });
  await assert.rejects(env.queue.enqueue("t", null, { backoff: { jitter: 2, delay: "1s" } }), {
    name: "RangeError",
    message: "Cannot enqueue as options are invalid: 'backoff.jitter': Too big: " +
      "expected number to be <=1, got 2",
  });
  await assert.rejects(env.queue.enqueue("t", null, { backoff: { delay: "soon" } }), {
    name: "RangeError",
    message: /Cannot parse duration "soon"/,
  });
  await assert.rejects(env.queue.enqueue("t", null, { timeout: "soon" }), {
    name: "RangeError",
    message: /Cannot parse duration "soon"/,
  });
  assert.equal((await env.queue.stats()).waiting, 0, "nothing was stored");
});
