import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { EventService } from "../../src/services/event_service.ts";
import { StreamService } from "../../src/services/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { collectEvents, setup } from "./_setup.ts";

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
    ["promoted", 1], // the retry waited in the delayed stream
    ["active", 2],
    ["completed", 2],
  ]);
  assert.ok(seen.every((event) => event.queue === "jobs" && event.task === "fails-once"));
  assert.ok(seen.every((event) => event.jobId === "life"));
  assert.equal(seen[2].data, "first try fails");
  assert.equal(seen[3].data, 20, "retrying carries the delay in ms");
  assert.equal(seen[6].data, 40, "completed carries the result");
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

Deno.test("events() ends when its signal aborts", async () => {
  await using env = await setup();
  const controller = new AbortController();
  const events = env.queue.events({ signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  assert.deepEqual(await Array.fromAsync(events), []);
});

Deno.test("events land on the events stream, one message per event", async () => {
  await using env = await setup();
  await env.queue.enqueue(failsOnce, 1, { attempts: 2 });
  env.worker([failsOnce]);
  const streams = await env.services.get(StreamService);
  const eventsStream = wireNames(env.services.config.prefix).eventsStream;
  await waitFor(
    "seven events on the stream",
    async () => (await streams.info(eventsStream))?.state.messages === 7,
  );
  await (await env.services.get(EventService)).flush();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await streams.info(eventsStream))?.state.messages, 7, "and no more");
});

Deno.test("with events disabled, nothing is published and events() yields nothing", async () => {
  await using env = await setup({ config: { events: { enabled: false } } });
  const controller = new AbortController();
  const events = Array.fromAsync(env.queue.events({ signal: controller.signal }));
  const quick = defineTask("quick", () => "done");
  env.worker([quick]);
  assert.equal(await (await env.queue.enqueue(quick, null)).result({ timeout: "10s" }), "done");
  await (await env.services.get(EventService)).flush();
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort();
  assert.deepEqual(await events, []);
  const streams = await env.services.get(StreamService);
  const info = await streams.info(wireNames(env.services.config.prefix).eventsStream);
  assert.equal(info?.state.messages ?? 0, 0);
});
