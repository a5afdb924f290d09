import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { setup } from "./_setup.ts";

Deno.test("a paused queue starts no job until resumed; running jobs finish", async () => {
  await using env = await setup();
  const started: number[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const task = defineTask("gated", async (n: number) => {
    started.push(n);
    await gate;
    return n;
  });
  env.worker([task], 4);
  const first = await env.queue.enqueue(task, 0);
  await waitFor("the first job to start", () => started.length === 1);

  await env.queue.pause();
  assert.equal(await env.queue.isPaused(), true);
  const later = await env.queue.enqueueMany([1, 2, 3].map((n) => ({ task, payload: n })));
  release();
  assert.equal(await first.result({ timeout: "5s" }), 0, "a running job finishes");
  // longer than a worker's pull: a worker that had not seen the pause would have started one
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.deepEqual(started, [0]);
  assert.equal((await env.queue.stats()).waiting, 3);

  await env.queue.resume();
  assert.equal(await env.queue.isPaused(), false);
  assert.deepEqual(
    await Promise.all(later.map((handle) => handle.result({ timeout: "5s" }))),
    [1, 2, 3],
  );
});

Deno.test("a worker started on a paused queue waits for resume", async () => {
  await using env = await setup();
  await env.queue.pause();
  const task = defineTask("echo", (n: number) => n);
  const handle = await env.queue.enqueue(task, 7);
  env.worker([task]);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting");
  await env.queue.resume();
  assert.equal(await handle.result({ timeout: "5s" }), 7);
});

Deno.test("a resume from a machine whose clock is behind the pauser's resumes running workers", async () => {
  await using env = await setup();
  const task = defineTask("echo", (n: number) => n);
  env.worker([task]);
  // the pauser's clock runs a minute fast; what holds is the order the writes were stored in
  await using fast = new ServiceManager(testConfig(env.server.url), {
    clock: { ...systemClock, now: () => Date.now() + 60_000 },
  });
  await new Queue("jobs", { services: fast }).pause();
  await waitFor("the queue to be paused", () => env.queue.isPaused());
  await env.queue.resume();
  const handle = await env.queue.enqueue(task, 7);
  assert.equal(await handle.result({ timeout: "5s" }), 7);
});
