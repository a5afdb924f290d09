import assert from "node:assert/strict";
import { DelayedJobStore } from "../../src/services/delayed_job_store.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup } from "./_setup.ts";

Deno.test("cancel() of a waiting job returns true, and a worker started later never runs it", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const ran: string[] = [];
  const record = defineTask("record", (payload: string) => void ran.push(payload));
  const doomed = await env.queue.enqueue(record, "doomed");
  clock.advance(1_000);
  assert.equal(await env.queue.cancel(doomed.id), true);

  const job = (await env.queue.getJob(doomed.id))!;
  assert.equal(job.state, "cancelled");
  assert.equal(job.finishedAt, clock.now(), "finished when cancelled");
  assert.equal(job.attempt, 0);

  env.worker([record], 1);
  await within("the marker to run", (await env.queue.enqueue(record, "marker")).result());
  assert.deepEqual(ran, ["marker"], "the cancelled job came first in the queue, and was skipped");
  assert.equal((await env.queue.getJob(doomed.id))?.state, "cancelled");
});

Deno.test("cancel() of a completed job returns false and leaves it completed", async () => {
  await using env = await setup();
  const one = defineTask("one", () => 1);
  env.worker([one]);
  const handle = await env.queue.enqueue(one, null);
  await handle.result({ timeout: "30s" });
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
  assert.equal(await handle.result({ timeout: "30s" }), "done");
});

Deno.test("cancel() of a job waiting to retry returns true, and it is not retried", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  let runs = 0;
  const flaky = defineTask("flaky", () => {
    runs += 1;
    throw new Error("not yet");
  });
  const markers: string[] = [];
  const marker = defineTask("marker", (name: string) => void markers.push(name));
  env.worker([flaky, marker], 1);
  const handle = await env.queue.enqueue(flaky, null, {
    attempts: 3,
    backoff: { type: "fixed", delay: 400 },
  });
  await waitFor(
    "the first attempt to fail",
    async () => (await env.queue.getJob(handle.id))?.state === "failed",
  );
  const { retryAt } = (await env.queue.getJob(handle.id))!;
  assert.equal(retryAt, clock.now() + 400);
  assert.equal(await env.queue.cancel(handle.id), true);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "cancelled");
  assert.equal(job.retryAt, undefined, "no retry is due any more");
  await assert.rejects(within("the cancellation", handle.result()), { code: "JOB_CANCELLED" });
  const delayed = await env.services.get(DelayedJobStore);
  assert.equal(await delayed.find("jobs", handle.id), null, "the retry's message is gone");

  // drive the clock to the retry's time; a marker due then too fires in the same step of
  // the scheduler, and one due after it in a later step: a retry would have run before that
  const sameTime = await env.queue.enqueue(marker, "due with the retry", { runAt: retryAt! });
  clock.set(retryAt!);
  await within("the marker due with the retry", sameTime.result());
  const later = await env.queue.enqueue(marker, "due after the retry", { delay: 1 });
  clock.advance(1);
  await within("the marker due after the retry", later.result());
  assert.deepEqual(markers, ["due with the retry", "due after the retry"]);
  assert.equal(runs, 1);
  assert.equal((await env.queue.getJob(handle.id))?.state, "cancelled");
});
