import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup } from "./_setup.ts";
import { inState } from "../helpers/in_state.ts";

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

Deno.test("cancel() of a running job aborts its signal on the worker, and it ends cancelled", async () => {
  await using env = await setup();
  const started = Promise.withResolvers<void>();
  let aborted: unknown;
  const slow = defineTask("slow", async (_: null, ctx) => {
    started.resolve();
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
    aborted = ctx.signal.reason;
    return "finished anyway";
  });
  env.worker([slow]);
  const handle = await env.queue.enqueue(slow, null);
  await within("the job to start", started.promise);
  assert.equal((await env.queue.getJob(handle.id))?.state, "active");
  assert.equal(await env.queue.cancel(handle.id), true);
  await assert.rejects(within("the cancellation", handle.result()), { code: "JOB_CANCELLED" });
  await waitFor("the handler to see the abort", () => aborted !== undefined);
  assert.match(String(aborted), /cancelled/);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "cancelled", "what the handler returned after the abort is dropped");
  assert.equal("result" in job, false);
});

Deno.test("cancel() of a job waiting to retry returns true, and it is not retried", async () => {
  // the server fires retries on its own clock
  await using env = await setup();
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
    backoff: { type: "fixed", delay: 1_000 },
  });
  await waitFor(
    "the first attempt to fail",
    async () => (await env.queue.getJob(handle.id))?.state === "failed",
  );
  const { retryAt, errors } = inState(await env.queue.getJob(handle.id), "failed");
  assert.ok(retryAt! > Date.now() - 1_000 && retryAt! <= Date.now() + 1_000);
  assert.deepEqual(errors.map((error) => error.message), ["not yet"]);
  assert.equal(await env.queue.cancel(handle.id), true);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "cancelled");
  assert.equal("retryAt" in job, false, "no retry is due any more");
  await assert.rejects(within("the cancellation", handle.result()), { code: "JOB_CANCELLED" });

  // the server fires schedules in order: a marker due just after the retry's time comes
  // only once the retry would have come
  const later = await env.queue.enqueue(marker, "due after the retry", { runAt: retryAt! + 1 });
  await within("the marker due after the retry", later.result());
  assert.deepEqual(markers, ["due after the retry"]);
  assert.equal(runs, 1);
  assert.equal((await env.queue.getJob(handle.id))?.state, "cancelled");
});
