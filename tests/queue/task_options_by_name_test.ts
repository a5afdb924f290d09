/**
 * A task's options hold however its jobs are enqueued: by the task, by its name alone (as the
 * CLI, `--file` and schedules do), or by a schedule that fires it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { JobFailedError } from "../../src/errors.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { setup } from "./_setup.ts";
import { inState } from "../helpers/in_state.ts";

// the queue's own backoff is ten minutes: only the task's (10 ms) lets a retry come in time
const SLOW_QUEUE = {
  queueDefaults: { attempts: 3, backoff: { type: "fixed" as const, delay: "10m", jitter: 0 } },
};

/** A task `x` with 4 attempts and a fixed 10 ms backoff that fails until `succeedOn`. */
function taskX(runs: Map<string, number[]>, succeedOn = Infinity) {
  return defineTask("x", (_: unknown, ctx) => {
    runs.set(ctx.jobId, [...runs.get(ctx.jobId) ?? [], ctx.attempt]);
    if (ctx.attempt < succeedOn) throw new Error(`attempt ${ctx.attempt} failed`);
    return `done on attempt ${ctx.attempt}`;
  }, { attempts: 4, backoff: { type: "fixed", delay: 10 } });
}

Deno.test("a job enqueued by name with no options gets its task's attempts and backoff", async () => {
  await using env = await setup({ config: SLOW_QUEUE });
  const runs = new Map<string, number[]>();
  env.worker([taskX(runs)], 1);
  const handle = await env.queue.enqueue("x", null);

  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.deepEqual(runs.get(handle.id), [1, 2, 3, 4], "4 attempts, the task's, not the queue's 3");
  assert.equal(error.attemptErrors.length, 4);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.equal(job.attempt, 4);
  assert.equal(job.deadReason, "failed 4 of 4 attempts");
  assert.equal(job.options.attempts, 4);
  assert.equal(job.options.backoff.type, "fixed");
  assert.equal(job.options.backoff.delay, 10);
});

Deno.test("a job enqueued by name that succeeds on its task's 4th attempt completes", async () => {
  await using env = await setup({ config: SLOW_QUEUE });
  const runs = new Map<string, number[]>();
  env.worker([taskX(runs, 4)], 1);
  const handle = await env.queue.enqueue("x", null);
  assert.equal(await within("the job to complete", handle.result()), "done on attempt 4");
  assert.deepEqual(runs.get(handle.id), [1, 2, 3, 4]);
  assert.equal((await env.queue.getJob(handle.id))?.state, "completed");
});

Deno.test("enqueue option attempts: 2 overrides the task's attempts for a job enqueued by name", async () => {
  await using env = await setup({ config: SLOW_QUEUE });
  const runs = new Map<string, number[]>();
  env.worker([taskX(runs)], 1);
  const handle = await env.queue.enqueue("x", null, { attempts: 2 });
  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.deepEqual(runs.get(handle.id), [1, 2]);
  const job = inState(await env.queue.getJob(handle.id), "dead");
  assert.equal(job.deadReason, "failed 2 of 2 attempts");
  assert.equal(job.options.attempts, 2);
  assert.equal(job.options.backoff.delay, 10, "the task's backoff still holds");
});

Deno.test("enqueueMany() by name gets the task's options too", async () => {
  await using env = await setup({ config: SLOW_QUEUE });
  const runs = new Map<string, number[]>();
  env.worker([taskX(runs)], 2);
  const handles = await env.queue.enqueueMany([
    { task: "x", payload: 1 },
    { task: "x", payload: 2, options: { attempts: 1 } },
  ]);
  const outcomes = await within(
    "both jobs to end",
    Promise.allSettled(handles.map((handle) => handle.result())),
  );
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ["rejected", "rejected"]);
  assert.deepEqual(runs.get(handles[0].id), [1, 2, 3, 4]);
  assert.deepEqual(runs.get(handles[1].id), [1]);
});

Deno.test("a job a schedule fires by name gets the task's options", async () => {
  await using env = await setup({ config: SLOW_QUEUE });
  const runs = new Map<string, number[]>();
  env.worker([taskX(runs)], 1); // its scheduler replica fires the schedule
  await env.queue.schedule("by-name", "x", null, { every: 100 }, { repeat: 1 });
  await waitFor(
    "the fired job to run 4 attempts",
    () => [...runs.values()].some((r) => r.length >= 4),
  );
  assert.equal(runs.size, 1, "the schedule fired once");
  const [[jobId, attempts]] = [...runs];
  await waitFor("the fired job to be dead", async () => {
    return (await env.queue.getJob(jobId))?.state === "dead";
  });
  const job = inState(await env.queue.getJob(jobId), "dead");
  assert.equal(job.schedule?.id, "by-name");
  assert.deepEqual(attempts, [1, 2, 3, 4]);
  assert.equal(job.deadReason, "failed 4 of 4 attempts");
});
