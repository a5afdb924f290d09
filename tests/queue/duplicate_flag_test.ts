/**
 * `handle.duplicate` says truly whether `enqueue()` stored a new job: false for the first
 * enqueue of an id, however fast a worker finishes it, and true for every later one while
 * the job is known.
 *
 * @module
 */
import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { within } from "../helpers/config.ts";
import { onExit } from "../reliability/_helpers.ts";
import { setup } from "./_setup.ts";

Deno.test("handle.duplicate is false for a new job, and true for its id again while it waits", async () => {
  await using env = await setup();
  const first = await env.queue.enqueue("later", "first", { jobId: "waiting-1" });
  assert.equal(first.duplicate, false);
  const second = await env.queue.enqueue("later", "second", { jobId: "waiting-1" });
  assert.equal(second.duplicate, true);
  assert.equal(second.job.state, "waiting");
  assert.equal(second.job.payload, "first", "the job stored is the first one");
  const fresh = await env.queue.enqueue("later", "other");
  assert.equal(fresh.duplicate, false, "a job without an id is always new");
});

Deno.test("handle.duplicate is true for an id enqueued again while its job runs", async () => {
  await using env = await setup();
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const runs: string[] = [];
  const held = defineTask("held", async (payload: string) => {
    runs.push(payload);
    started.resolve();
    await release.promise;
    return payload;
  });
  env.worker([held], 2);
  using _release = onExit(() => release.resolve());
  const first = await env.queue.enqueue(held, "first", { jobId: "running-1" });
  assert.equal(first.duplicate, false);
  await within("the job to start", started.promise);
  const second = await env.queue.enqueue(held, "second", { jobId: "running-1" });
  assert.equal(second.duplicate, true);
  assert.equal(second.job.state, "active");
  release.resolve();
  assert.equal(await within("the job", second.result()), "first");
  assert.deepEqual(runs, ["first"], "the duplicate never ran");
});

Deno.test("handle.duplicate is true for an id enqueued again after its job completed", async () => {
  await using env = await setup();
  const echo = defineTask("echo", (payload: string) => payload);
  env.worker([echo], 1);
  const first = await env.queue.enqueue(echo, "first", { jobId: "done-1" });
  assert.equal(first.duplicate, false);
  assert.equal(await within("the job", first.result()), "first");
  const second = await env.queue.enqueue(echo, "second", { jobId: "done-1" });
  assert.equal(second.duplicate, true);
  assert.equal(second.job.state, "completed");
  assert.equal(await within("the duplicate's result", second.result()), "first");
});

Deno.test("with a fast worker, a first enqueue is never reported as a duplicate, and a second always is", async () => {
  await using env = await setup();
  const runs = new Map<string, number>();
  const fast = defineTask("fast", (payload: number, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    return payload;
  });
  env.worker([fast], 8);
  const wrong: string[] = [];
  for (let i = 0; i < 200; i++) {
    const jobId = `fast-${i}`;
    const first = await env.queue.enqueue(fast, i, { jobId });
    if (first.duplicate) {
      wrong.push(`first enqueue of ${jobId} said duplicate (${first.job.state})`);
    }
    // the worker often finished it before enqueue() returned; it has now, whatever
    assert.equal(await within(jobId, first.result()), i);
    const second = await env.queue.enqueue(fast, -1, { jobId });
    if (!second.duplicate) wrong.push(`second enqueue of ${jobId} said new`);
  }
  assert.deepEqual(wrong, []);
  assert.ok([...runs.values()].every((count) => count === 1), "each job ran once");
  assert.equal(runs.size, 200);
});

Deno.test("with a fast worker, first and second enqueues back to back are new, then duplicate", async () => {
  await using env = await setup();
  const fast = defineTask("fast", (payload: number) => payload);
  env.worker([fast], 8);
  const wrong: string[] = [];
  for (let i = 0; i < 200; i++) {
    const jobId = `quick-${i}`;
    const first = await env.queue.enqueue(fast, i, { jobId });
    const second = await env.queue.enqueue(fast, -1, { jobId });
    if (first.duplicate) wrong.push(`first enqueue of ${jobId} said duplicate`);
    if (!second.duplicate) wrong.push(`second enqueue of ${jobId} said new`);
    assert.equal(await within(jobId, second.result()), i);
  }
  assert.deepEqual(wrong, []);
});

Deno.test("enqueueMany() with one id twice reports the first new and the second a duplicate", async () => {
  await using env = await setup();
  const handles = await env.queue.enqueueMany([
    { task: "later", payload: "a", options: { jobId: "batch-1" } },
    { task: "later", payload: "b", options: { jobId: "batch-2" } },
    { task: "later", payload: "c", options: { jobId: "batch-1" } },
  ]);
  assert.deepEqual(handles.map((handle) => handle.duplicate), [false, false, true]);
  assert.equal(handles[2].job.payload, "a");
  assert.equal((await env.queue.stats()).waiting, 2);
});
