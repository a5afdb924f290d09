import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { setup } from "./_setup.ts";

Deno.test("cancel() of a waiting job returns true, and a worker started later never runs it", async () => {
  await using env = await setup();
  const ran: string[] = [];
  const record = defineTask("record", (payload: string) => void ran.push(payload));
  const doomed = await env.queue.enqueue(record, "doomed");
  const before = Date.now();
  assert.equal(await env.queue.cancel(doomed.id), true);

  const job = (await env.queue.getJob(doomed.id))!;
  assert.equal(job.state, "cancelled");
  assert.ok(job.finishedAt! >= before);
  assert.equal(job.attempt, 0);

  env.worker([record], 1);
  await (await env.queue.enqueue(record, "marker")).result({ timeout: "10s" });
  assert.deepEqual(ran, ["marker"], "the cancelled job came first in the queue, and was skipped");
  assert.equal((await env.queue.getJob(doomed.id))?.state, "cancelled");
});

Deno.test("cancel() of a completed job returns false and leaves it completed", async () => {
  await using env = await setup();
  const one = defineTask("one", () => 1);
  env.worker([one]);
  const handle = await env.queue.enqueue(one, null);
  await handle.result({ timeout: "10s" });
  assert.equal(await env.queue.cancel(handle.id), false);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "completed");
  assert.equal(job.result, 1);
});

Deno.test("cancel() of an unknown job, or of one cancelled already, returns false", async () => {
  await using env = await setup();
  assert.equal(await env.queue.cancel("nope"), false);
  const handle = await env.queue.enqueue("t", null);
  assert.equal(await env.queue.cancel(handle.id), true);
  assert.equal(await env.queue.cancel(handle.id), false);
});

Deno.test("cancel() of a running job returns false and the job completes", async () => {
  await using env = await setup();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const slow = defineTask("slow", async () => {
    await released;
    return "done";
  });
  env.worker([slow]);
  const handle = await env.queue.enqueue(slow, null);
  await waitFor(
    "the job to start",
    async () => (await env.queue.getJob(handle.id))?.state === "active",
  );
  assert.equal(await env.queue.cancel(handle.id), false);
  release();
  assert.equal(await handle.result({ timeout: "10s" }), "done");
});

Deno.test("cancel() of a job waiting to retry returns true, and it is not retried", async () => {
  await using env = await setup();
  let runs = 0;
  const flaky = defineTask("flaky", () => {
    runs += 1;
    throw new Error("not yet");
  });
  env.worker([flaky]);
  const handle = await env.queue.enqueue(flaky, null, {
    attempts: 3,
    backoff: { type: "fixed", delay: 400 },
  });
  await waitFor(
    "the first attempt to fail",
    async () => (await env.queue.getJob(handle.id))?.state === "failed",
  );
  assert.equal(await env.queue.cancel(handle.id), true);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "cancelled");
  assert.equal(job.retryAt, undefined, "no retry is due any more");
  await assert.rejects(handle.result({ timeout: "5s" }), { code: "JOB_CANCELLED" });
  await new Promise((resolve) => setTimeout(resolve, 800)); // past the retry delay
  assert.equal(runs, 1);
  assert.equal((await env.queue.getJob(handle.id))?.state, "cancelled");
});
