import assert from "node:assert/strict";
import { ErrorCode, isNaqError, JobFailedError, TimeoutError } from "../../src/errors.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { consumerCount } from "../helpers/nats_server.ts";
import { type Setup, setup, subscriptions } from "./_setup.ts";

/** How many subscriptions the server holds for notices: result() waiters hear from them. */
async function watching(env: Setup): Promise<number> {
  return (await subscriptions(env.server)).filter((subject) => subject.startsWith("naq.notify."))
    .length;
}

Deno.test("result() returns what the handler returned", async () => {
  await using env = await setup();
  const greet = defineTask("greet", (payload: { name: string }) => ({ hello: payload.name }));
  env.worker([greet]);
  const handle = await env.queue.enqueue(greet, { name: "Ada" });
  assert.deepEqual(await handle.result({ timeout: "30s" }), { hello: "Ada" });
});

Deno.test("result() gives null for a handler that returns nothing", async () => {
  await using env = await setup();
  const noop = defineTask("noop", () => {});
  env.worker([noop]);
  assert.equal(await (await env.queue.enqueue(noop, null)).result({ timeout: "30s" }), null);
});

Deno.test("result() of a job that finished before the call returns at once", async () => {
  // a clock that stands still: no timeout can pass, and no change of the job will come
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const one = defineTask("one", () => 1);
  env.worker([one]);
  const handle = await env.queue.enqueue(one, null);
  await within("the job to run", handle.result());
  assert.equal(await within("the second result()", handle.result({ timeout: 500 })), 1);
});

Deno.test("result() of a dead job throws JobFailedError with the last error as cause", async () => {
  await using env = await setup();
  const broken = defineTask("broken", (_: null, ctx) => {
    throw new RangeError(`bad input on attempt ${ctx.attempt}`);
  });
  env.worker([broken]);
  const handle = await env.queue.enqueue(broken, null, { attempts: 3 });
  const err = await handle.result({ timeout: "30s" }).then(
    () => assert.fail("result() resolved for a dead job"),
    (err: unknown) => err,
  );
  assert.ok(err instanceof JobFailedError, `expected JobFailedError, got ${err}`);
  assert.equal(err.code, ErrorCode.JobFailed);
  assert.equal(err.jobId, handle.id);
  assert.deepEqual(err.attemptErrors, [
    "bad input on attempt 1",
    "bad input on attempt 2",
    "bad input on attempt 3",
  ]);
  assert.ok(err.cause instanceof Error);
  assert.equal(err.cause.message, "bad input on attempt 3");
  assert.equal(err.cause.name, "RangeError");
  assert.match(err.message, /failed for good: failed 3 of 3 attempts/);
  assert.match(err.message, /last error: bad input on attempt 3/);
});

Deno.test("result() of a cancelled job throws with code JOB_CANCELLED", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("never-runs", null);
  // expect the rejection before cancelling: it may arrive while cancel() is still returning
  const waiting = assert.rejects(handle.result({ timeout: "30s" }), (err) => {
    assert.ok(isNaqError(err, ErrorCode.JobCancelled), `expected JOB_CANCELLED, got ${err}`);
    assert.match(err.message, new RegExp(`Job ${handle.id} in queue jobs was cancelled`));
    return true;
  });
  assert.equal(await env.queue.cancel(handle.id), true);
  await waiting;
  // and when asked after the fact
  await assert.rejects(handle.result({ timeout: "30s" }), { code: "JOB_CANCELLED" });
});

Deno.test("result() throws TimeoutError once its timeout passes, not before", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  let settled = false;
  const outcome = handle.result({ timeout: 300 }).finally(() => (settled = true));
  outcome.catch(() => {});
  // each round trip to the server lets every callback queued before it run: the result()
  // call has started its timer, and a timeout due at 299 ms has fired
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting");
  clock.advance(299);
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting", "the job is untouched");
  assert.equal(settled, false, "still waiting 1 ms before its timeout");
  clock.advance(1);
  await assert.rejects(within("the timeout", outcome), (err) => {
    assert.ok(err instanceof TimeoutError, `expected TimeoutError, got ${err}`);
    assert.equal(err.code, ErrorCode.Timeout);
    assert.match(
      err.message,
      new RegExp(`Job ${handle.id} in queue jobs did not finish within 300 ms`),
    );
    return true;
  });
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting", "the job is untouched");
});

Deno.test("result() takes a duration string as timeout", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const outcome = handle.result({ timeout: "200ms" });
  outcome.catch(() => {});
  await env.queue.getJob(handle.id); // a round trip: result() has started its timer
  clock.advance(200);
  await assert.rejects(within("the timeout", outcome), {
    name: "TimeoutError",
    message: /within 200 ms/,
  });
});

Deno.test("result() stops waiting when its signal aborts, with the signal's reason", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  const outcome = handle.result({ signal: controller.signal });
  outcome.catch(() => {});
  await waitFor("result() to watch the job", async () => await watching(env) === 1);
  controller.abort(reason);
  await assert.rejects(within("the abort", outcome), (err) => err === reason);
});

Deno.test("result() waits without polling: the client sends nothing while it waits", async () => {
  // a poll would run on the manager's clock: driving it through an hour would fire every one
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const connection = await env.services.get(ConnectionService);
  const received = async () => (await env.server.monitor<{ in_msgs: number }>("varz")).in_msgs;
  const waiting = handle.result({ timeout: "1h" }).catch((err) => err);
  await waitFor("result() to watch the job", async () => await watching(env) === 1);
  await connection.nc.flush(); // the server has what the client sent to start watching
  const before = await received();
  for (let minute = 1; minute < 60; minute++) {
    clock.advance(60_000);
    await connection.nc.flush(); // the server has whatever the minute made the client send
  }
  const sent = (await received()) - before;
  assert.ok(sent <= 2, `the client sent ${sent} messages in 59 minutes of waiting`);
  clock.advance(60_000);
  assert.ok(await within("the timeout", waiting) instanceof TimeoutError);
});

Deno.test("result() of a job that runs later resolves when it completes", async () => {
  await using env = await setup();
  const late = defineTask("late", (n: number) => n + 1);
  const handle = await env.queue.enqueue(late, 41);
  const waiting = handle.result({ timeout: "30s" });
  await waitFor("result() to watch the job", async () => await watching(env) === 1);
  env.worker([late]);
  assert.equal(await waiting, 42);
});

Deno.test("500 waiting result() calls share one subscription, and no consumer", async () => {
  await using env = await setup();
  const gate = Promise.withResolvers<void>();
  const gated = defineTask("gated", async (payload: { i: number }) => {
    await gate.promise;
    return payload.i;
  });
  const handles = await env.queue.enqueueMany(
    Array.from({ length: 500 }, (_, i) => ({ task: gated, payload: { i } })),
  );
  const results = Promise.all(handles.map((handle) => handle.result({ timeout: "30s" })));
  await waitFor("the waiters to subscribe", async () => await watching(env) === 1);
  assert.equal(await consumerCount(env.server, "naq_queue_jobs"), 0, "waiting costs no consumer");
  env.worker([gated], 50);
  gate.resolve();
  assert.deepEqual(await results, Array.from({ length: 500 }, (_, i) => i));
  assert.equal(await watching(env), 1, "still the one subscription, for the manager's life");
});
