import assert from "node:assert/strict";
import type { JobEvent } from "../../src/core/job_event.ts";
import { wireNames } from "../../src/core/names.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { collectEvents, type Setup, setup, subscriptions } from "./_setup.ts";

const failsOnce = defineTask("fails-once", (n: number, ctx) => {
  if (ctx.attempt === 1) throw new Error("first try fails");
  return n * 10;
});

Deno.test("events() yields a job's whole life: fail once, retry, succeed", async () => {
  await using env = await setup();
  const events = env.queue.events({ jobId: "life" });
  await env.queue.enqueue(failsOnce, 4, { jobId: "life", attempts: 2 });
  env.worker([failsOnce]);
  const seen = await collectEvents(events, (event) => event.type === "completed");
  assert.deepEqual(seen.map((event) => [event.type, event.attempt]), [
    ["enqueued", 0],
    ["active", 1],
    ["failed", 1],
    ["retrying", 1],
    ["active", 2],
    ["completed", 2],
  ]);
  assert.ok(seen.every((event) => event.queue === "jobs" && event.task === "fails-once"));
  assert.ok(seen.every((event) => event.jobId === "life"));
  assert.equal(seen[2].data, "first try fails");
  assert.equal(seen[3].data, 20, "retrying carries the delay in ms");
  assert.equal(seen[5].data, 40, "completed carries the result");
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].at >= seen[i - 1].at);
});

Deno.test("events() of a dead job ends with failed and dead, and the reason", async () => {
  await using env = await setup();
  const hopeless = defineTask("hopeless", () => {
    throw new Error("never");
  });
  const events = env.queue.events({ jobId: "doomed" });
  await env.queue.enqueue(hopeless, null, { jobId: "doomed", attempts: 1 });
  env.worker([hopeless]);
  const seen = await collectEvents(events, (event) => event.type === "dead");
  assert.deepEqual(seen.map((event) => event.type), ["enqueued", "active", "failed", "dead"]);
  assert.equal(seen[3].data, "failed 1 of 1 attempt");
});

Deno.test("events() filters by type: one type, or several", async () => {
  await using env = await setup();
  const completions = env.queue.events({ types: ["completed"] });
  const outcomes = env.queue.events({ types: ["failed", "completed"] });
  const [a, b] = await env.queue.enqueueMany([
    { task: failsOnce, payload: 1, options: { attempts: 2 } },
    { task: failsOnce, payload: 2, options: { attempts: 2 } },
  ]);
  env.worker([failsOnce]);
  const done = new Set<string>();
  const completed = await collectEvents(completions, (event) => {
    done.add(event.jobId);
    return done.size === 2;
  });
  assert.deepEqual(completed.map((event) => event.type), ["completed", "completed"]);
  assert.deepEqual(new Set(completed.map((event) => event.jobId)), new Set([a.id, b.id]));

  let completedCount = 0;
  const mixed = await collectEvents(outcomes, (event) => {
    if (event.type === "completed") completedCount += 1;
    return completedCount === 2;
  });
  assert.equal(mixed.filter((event) => event.type === "failed").length, 2);
  assert.ok(mixed.every((event) => event.type === "failed" || event.type === "completed"));
});

Deno.test("events() filters by jobId: another job's events are left out", async () => {
  await using env = await setup();
  const quick = defineTask("quick", (n: number) => n);
  const mine = env.queue.events({ jobId: "mine" });
  await env.queue.enqueue(quick, 1, { jobId: "theirs" });
  await env.queue.enqueue(quick, 2, { jobId: "mine" });
  env.worker([quick], 1);
  const seen = await collectEvents(mine, (event) => event.type === "completed");
  assert.deepEqual(seen.map((event) => event.type), ["enqueued", "active", "completed"]);
  assert.ok(seen.every((event) => event.jobId === "mine"));
});

/** Waits until the server holds the subscription of an `events()` iterator on the queue. */
async function untilListening(env: Setup): Promise<void> {
  const subject = wireNames(env.services.config.prefix).eventsSubject("jobs");
  await waitFor(
    "the iterator to subscribe",
    async () => (await subscriptions(env.server)).includes(subject),
  );
}

Deno.test("events() ends when its signal aborts", async () => {
  await using env = await setup();
  const controller = new AbortController();
  const events = Array.fromAsync(env.queue.events({ signal: controller.signal }));
  await untilListening(env);
  controller.abort();
  assert.deepEqual(await within("the iteration to end", events), []);
});

Deno.test("events land on the events stream, in order, a few per message", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue(failsOnce, 1, { attempts: 2 });
  const worker = env.worker([failsOnce]);
  assert.equal(await handle.result({ timeout: "30s" }), 10);
  await worker.close(); // it has sent every event of the job
  // the stream stores one connection's messages in the order sent: once a message sent
  // after the events is stored, every event is, and its sequence counts them
  const names = wireNames(env.services.config.prefix);
  const connection = await env.services.get(ConnectionService);
  const after = await connection.jetstream().publish(names.eventsSubject("jobs"), "[]");
  assert.ok(after.seq > 1 && after.seq <= 7, `at most one message per event, got ${after.seq - 1}`);
  const jsm = await connection.jetstreamManager();
  const stored = await Promise.all(
    Array.from(
      { length: after.seq - 1 },
      (_, i) => jsm.streams.getMessage(names.eventsStream, { seq: i + 1 }),
    ),
  );
  assert.deepEqual(
    stored.flatMap((message) => message!.json<JobEvent[]>()).map((event) => event.type),
    [
      "enqueued",
      "active",
      "failed",
      "retrying",
      "active",
      "completed",
    ],
  );
});

Deno.test("with events disabled, nothing is published and events() yields nothing", async () => {
  await using env = await setup({ config: { events: { enabled: false } } });
  const events = env.queue.events();
  await untilListening(env);
  const quick = defineTask("quick", () => "done");
  const worker = env.worker([quick]);
  const handle = await env.queue.enqueue(quick, null);
  assert.equal(await handle.result({ timeout: "30s" }), "done");
  await worker.close(); // it would have sent every event of the job
  // an event sent after the job's life: a subscription receives one connection's messages
  // in the order sent, so any event of the job would come before it
  const last: JobEvent = {
    type: "completed",
    queue: "jobs",
    jobId: "last",
    task: "-",
    at: 0,
    attempt: 1,
  };
  const names = wireNames(env.services.config.prefix);
  const connection = await env.services.get(ConnectionService);
  connection.nc.publish(names.eventsSubject("jobs"), JSON.stringify([last]));
  const seen = await collectEvents(events, (event) => event.jobId === "last");
  assert.deepEqual(seen.map((event) => event.jobId), ["last"]);
  const streams = await env.services.get(StreamService);
  assert.equal(await streams.info(names.eventsStream), null, "no stream to store events in");
});
