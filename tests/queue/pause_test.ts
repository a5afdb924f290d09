import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { consumerState, type Setup, setup, silent } from "./_setup.ts";

/** Waits until the server sees the worker ask for jobs (`true`) or stop asking (`false`). */
async function untilPulling(env: Setup, pulling: boolean): Promise<void> {
  await waitFor(
    pulling ? "the worker to ask for jobs" : "the worker to stop asking for jobs",
    async () => (((await consumerState(env.server))?.num_waiting ?? 0) > 0) === pulling,
  );
}

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
  // with slots free a worker keeps a pull open, unless it saw the pause
  await untilPulling(env, false);
  const later = await env.queue.enqueueMany([1, 2, 3].map((n) => ({ task, payload: n })));
  release();
  assert.equal(await first.result({ timeout: "30s" }), 0, "a running job finishes");
  // a worker pulling once the slot came free would have asked before storing the outcome
  const consumer = (await consumerState(env.server))!;
  assert.equal(consumer.num_waiting, 0, "no pull open, with every slot free");
  assert.equal(consumer.num_pending, 3, "the later jobs were not delivered");
  assert.deepEqual(started, [0]);
  assert.equal((await env.queue.stats()).waiting, 3);

  await env.queue.resume();
  assert.equal(await env.queue.isPaused(), false);
  assert.deepEqual(
    await Promise.all(later.map((handle) => handle.result({ timeout: "30s" }))),
    [1, 2, 3],
  );
});

Deno.test("a worker started on a paused queue waits for resume", async () => {
  await using env = await setup();
  await env.queue.pause();
  const task = defineTask("echo", (n: number) => n);
  const handle = await env.queue.enqueue(task, 7);
  await using other = new Queue("other", { services: env.services });
  await using worker = new Worker(["jobs", "other"], [task], {
    services: env.services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  // a job of its other queue ran: the worker pulls from both, and so passed the pause check
  assert.equal(await (await other.enqueue(task, 1)).result({ timeout: "30s" }), 1);
  const consumer = (await consumerState(env.server))!;
  assert.equal(consumer.num_waiting, 0, "no pull open on the paused queue");
  assert.equal(consumer.delivered.consumer_seq, 0, "nothing delivered from it");
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting");
  await env.queue.resume();
  assert.equal(await handle.result({ timeout: "30s" }), 7);
});

Deno.test("a resume from a machine whose clock is behind the pauser's resumes running workers", async () => {
  // a driven clock: the worker's periodic re-read of the flag, which would mend a wrong
  // state after a while, never comes
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const task = defineTask("echo", (n: number) => n);
  env.worker([task]);
  await untilPulling(env, true);
  // the pauser's clock runs a minute fast; what holds is the order the writes were stored in
  await using fast = new ServiceManager(testConfig(env.server.url), {
    clock: new ManualClock(clock.now() + 60_000),
  });
  await new Queue("jobs", { services: fast }).pause();
  await untilPulling(env, false);
  await env.queue.resume();
  const handle = await env.queue.enqueue(task, 7);
  assert.equal(await within("the job to run", handle.result()), 7);
});
