import assert from "node:assert/strict";
import { ErrorCode, isNaqError, JobFailedError, TimeoutError } from "../../src/errors.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { consumerCount } from "../helpers/nats_server.ts";
import { setup } from "./_setup.ts";

Deno.test("result() returns what the handler returned", async () => {
  await using env = await setup();
  const greet = defineTask("greet", (payload: { name: string }) => ({ hello: payload.name }));
  env.worker([greet]);
  const handle = await env.queue.enqueue(greet, { name: "Ada" });
  assert.deepEqual(await handle.result({ timeout: "10s" }), { hello: "Ada" });
});

Deno.test("result() gives null for a handler that returns nothing", async () => {
  await using env = await setup();
  const noop = defineTask("noop", () => {});
  env.worker([noop]);
  assert.equal(await (await env.queue.enqueue(noop, null)).result({ timeout: "10s" }), null);
});

Deno.test("result() of a job that finished before the call returns at once", async () => {
  await using env = await setup();
  const one = defineTask("one", () => 1);
  env.worker([one]);
  const handle = await env.queue.enqueue(one, null);
  await handle.result({ timeout: "10s" });
  assert.equal(await handle.result({ timeout: 500 }), 1);
});

Deno.test("result() of a dead job throws JobFailedError with the last error as cause", async () => {
  await using env = await setup();
  const broken = defineTask("broken", (_: null, ctx) => {
    throw new RangeError(`bad input on attempt ${ctx.attempt}`);
  });
  env.worker([broken]);
  const handle = await env.queue.enqueue(broken, null, { attempts: 3 });
  const err = await handle.result({ timeout: "10s" }).then(
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
  const waiting = assert.rejects(handle.result({ timeout: "10s" }), (err) => {
    assert.ok(isNaqError(err, ErrorCode.JobCancelled), `expected JOB_CANCELLED, got ${err}`);
    assert.match(err.message, new RegExp(`Job ${handle.id} in queue jobs was cancelled`));
    return true;
  });
  assert.equal(await env.queue.cancel(handle.id), true);
  await waiting;
  // and when asked after the fact
  await assert.rejects(handle.result({ timeout: "10s" }), { code: "JOB_CANCELLED" });
});

Deno.test("result() throws TimeoutError once its timeout passes", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const started = Date.now();
  await assert.rejects(handle.result({ timeout: 300 }), (err) => {
    assert.ok(err instanceof TimeoutError, `expected TimeoutError, got ${err}`);
    assert.equal(err.code, ErrorCode.Timeout);
    assert.match(
      err.message,
      new RegExp(`Job ${handle.id} in queue jobs did not finish within 300 ms`),
    );
    return true;
  });
  const waited = Date.now() - started;
  assert.ok(waited >= 290 && waited < 3_000, `waited ${waited} ms for a 300 ms timeout`);
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting", "the job is untouched");
});

Deno.test("result() takes a duration string as timeout", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  await assert.rejects(handle.result({ timeout: "200ms" }), {
    name: "TimeoutError",
    message: /within 200 ms/,
  });
});

Deno.test("result() stops waiting when its signal aborts, with the signal's reason", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  setTimeout(() => controller.abort(reason), 100);
  await assert.rejects(handle.result({ signal: controller.signal }), (err) => err === reason);
});

Deno.test("result() waits without polling: the client sends nothing while it waits", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("nobody-runs-this", null);
  const received = async () => (await env.server.monitor<{ in_msgs: number }>("varz")).in_msgs;
  const waiting = handle.result({ timeout: 2_500 }).catch((err) => err);
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the watch start
  const before = await received();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const sent = (await received()) - before;
  assert.ok(sent <= 2, `the client sent ${sent} messages in 1.5 s while waiting`);
  assert.ok(await waiting instanceof TimeoutError);
});

Deno.test("result() of a job that runs later resolves when it completes", async () => {
  await using env = await setup();
  const late = defineTask("late", (n: number) => n + 1);
  const handle = await env.queue.enqueue(late, 41);
  const waiting = handle.result({ timeout: "10s" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  env.worker([late]);
  assert.equal(await waiting, 42);
});

Deno.test("500 waiting result() calls share one subscription, gone when they are done", async () => {
  await using env = await setup();
  const gate = Promise.withResolvers<void>();
  const gated = defineTask("gated", async (payload: { i: number }) => {
    await gate.promise;
    return payload.i;
  });
  const handles = await env.queue.enqueueMany(
    Array.from({ length: 500 }, (_, i) => ({ task: gated, payload: { i } })),
  );
  const results = Promise.all(handles.map((handle) => handle.result({ timeout: "20s" })));
  const watching = async () => {
    const connz = await env.server.monitor<{ connections: { subscriptions_list?: string[] }[] }>(
      "connz?subs=1",
    );
    return connz.connections.flatMap((connection) => connection.subscriptions_list ?? [])
      .filter((subject) => subject.startsWith("$KV.naq_jobs.")).length;
  };
  const kvConsumers = () => consumerCount(env.server, "KV_naq_jobs");
  await waitFor("the waiters to subscribe", async () => await watching() === 1);
  assert.equal(await kvConsumers(), 0, "waiting costs the server no consumer");
  env.worker([gated], 50);
  gate.resolve();
  assert.deepEqual(await results, Array.from({ length: 500 }, (_, i) => i));
  await waitFor("the subscription to end with its last waiter", async () => await watching() === 0);
});
