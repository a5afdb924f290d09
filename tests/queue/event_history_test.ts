import assert from "node:assert/strict";
import type { JobEvent } from "../../src/core/job_event.ts";
import { wireNames } from "../../src/core/names.ts";
import { ConfigError } from "../../src/errors.ts";
import { EventService } from "../../src/services/business/event_service.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { collectEvents, type Setup, setup } from "./_setup.ts";

/** Sends events of queue `jobs` by hand, with the times the test gives them. */
async function emitter(env: Setup, clock: ManualClock) {
  const events = await env.services.get(EventService);
  const streams = await env.services.get(StreamService);
  const names = wireNames(env.services.config.prefix);
  let sent = 0;
  return {
    /** Queues an `enqueued` event of job `jobId` at `at`; it goes out with the next batch. */
    emit(jobId: string, at = clock.now()): void {
      events.emit({ type: "enqueued", queue: "jobs", jobId, task: "t", at, attempt: 0 });
    },
    /** Sends what was emitted as one batch, and waits until the stream has stored it. */
    async send(): Promise<void> {
      await events.flush();
      sent += 1;
      await waitFor(
        "the stream to store the batch",
        async () => await streams.count(names.eventsStream, names.eventsSubject("jobs")) >= sent,
      );
    },
  };
}

const ids = (events: readonly JobEvent[]) => events.map((event) => event.jobId);

Deno.test("events({ since }) replays the window, then goes on live: none missed, none doubled", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const { emit, send } = await emitter(env, clock);
  emit("before-1");
  emit("before-2");
  await send();
  clock.advance(60_000);
  const since = clock.now();
  // one batch on both sides of `since`: the replay cuts inside it, by each event's `at`
  emit("before-3", since - 1);
  emit("window-1");
  await send();
  emit("window-2");
  emit("window-3");
  await send();

  const replay = env.queue.events({ since });
  // live events keep coming as the replay starts: some before it asks where history ends,
  // the rest (after its first event) certainly after, in batches of 10
  let live = 0;
  const sendLive = async (count: number) => {
    for (let i = 1; i <= count; i++) {
      emit(`live-${live++}`);
      if (i % 10 === 0) await send();
    }
  };
  await sendLive(40);
  const first = await replay.next();
  const sending = sendLive(60);
  const rest = await collectEvents(replay, (event) => event.jobId === "live-99");
  await sending;

  assert.deepEqual(ids([first.value as JobEvent, ...rest]), [
    "window-1",
    "window-2",
    "window-3",
    ...Array.from({ length: 100 }, (_, i) => `live-${i}`),
  ]);
});

Deno.test("events({ since }) takes a duration ago, and keeps its type filter past the seam", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const quick = "quick";
  await env.queue.enqueue(quick, null, { jobId: "old", delay: "1h" });
  await env.queue.cancel("old");
  clock.advance(10 * 60_000);
  await env.queue.enqueue(quick, null, { jobId: "recent", delay: "1h" });
  await env.queue.cancel("recent");
  const events = await env.services.get(EventService);
  await events.flush();
  await waitFor(
    "the stream to store the four events",
    async () => (await events.history({ queue: "jobs" })).length === 4,
  );

  const replay = env.queue.events({ since: "5m", types: ["cancelled"] });
  const first = await replay.next();
  await env.queue.enqueue(quick, null, { jobId: "new", delay: "1h" });
  await env.queue.cancel("new");
  const rest = await collectEvents(replay, (event) => event.jobId === "new");
  assert.deepEqual(
    [first.value as JobEvent, ...rest].map((event) => [event.type, event.jobId]),
    [["cancelled", "recent"], ["cancelled", "new"]],
  );
});

Deno.test("events({ since }) with a signal already aborted yields nothing", async () => {
  await using env = await setup();
  const controller = new AbortController();
  controller.abort();
  const events = env.queue.events({ since: new Date(0), signal: controller.signal });
  assert.deepEqual(await Array.fromAsync(events), []);
});

Deno.test("events({ since }) ends when its signal aborts while it waits for live events", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const { emit, send } = await emitter(env, clock);
  emit("stored");
  await send();
  const controller = new AbortController();
  const replay = env.queue.events({ since: 0, signal: controller.signal });
  assert.equal((await replay.next()).value?.jobId, "stored");
  const waiting = replay.next();
  controller.abort();
  assert.deepEqual(await within("the replay to end", waiting), { done: true, value: undefined });
});

Deno.test("events({ since }) refuses what is not a time", async () => {
  await using env = await setup();
  assert.throws(
    () => env.queue.events({ since: "5" }),
    /Cannot use "5" as since: a number needs a unit/,
  );
  assert.throws(
    () => env.queue.events({ since: "yesterday" }),
    /give a duration ago such as "30m"/,
  );
});

const failsOnce = defineTask("fails-once", (n: number, ctx) => {
  if (ctx.attempt === 1) throw new Error("first try fails");
  return n;
});

Deno.test("jobEvents() is a job's timeline from the stream, without other jobs' events", async () => {
  await using env = await setup();
  await env.queue.enqueue(failsOnce, 1, { jobId: "other", attempts: 2 });
  const handle = await env.queue.enqueue(failsOnce, 2, { jobId: "mine", attempts: 2 });
  env.worker([failsOnce]);
  assert.equal(await handle.result({ timeout: "30s" }), 2);
  let timeline: JobEvent[] = [];
  await waitFor("the stream to store the job's last event", async () => {
    timeline = await env.queue.jobEvents("mine");
    return timeline.at(-1)?.type === "completed";
  });
  assert.deepEqual(timeline.map((event) => [event.type, event.attempt]), [
    ["enqueued", 0],
    ["active", 1],
    ["failed", 1],
    ["retrying", 1],
    ["active", 2],
    ["completed", 2],
  ]);
  assert.ok(timeline.every((event) => event.jobId === "mine"));
  // the same from a record read already
  assert.deepEqual(await env.queue.jobEvents((await env.queue.getJob("mine"))!), timeline);
  assert.deepEqual(await env.queue.jobEvents("never-was"), []);
});

Deno.test("with events disabled, since and jobEvents() say so", async () => {
  await using env = await setup({ config: { events: { enabled: false } } });
  assert.throws(
    () => env.queue.events({ since: "1h" }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /events are disabled \(events\.enabled: false\).*set events\.enabled: true/.test(
        err.message,
      ),
  );
  await assert.rejects(() => env.queue.jobEvents("any"), ConfigError);
});

Deno.test("events({ since }) goes on with the events of an events stream deleted and created again", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const { emit, send } = await emitter(env, clock);
  // five messages on the old stream, more than the new one will hold: going on at the old
  // sequence + 1 (what nats.js's ordered consumer does) would hear none of the new ones
  for (let i = 1; i <= 5; i++) {
    emit(`old-${i}`);
    await send();
  }
  const replay = env.queue.events({ since: 0 });
  const heard: string[] = [];
  for (let i = 1; i <= 5; i++) heard.push((await replay.next()).value?.jobId ?? "(ended)");
  assert.deepEqual(heard, ["old-1", "old-2", "old-3", "old-4", "old-5"]);

  const waiting = replay.next();
  const streams = await env.services.get(StreamService);
  const names = wireNames(env.services.config.prefix);
  assert.equal(await streams.delete(names.eventsStream), true);
  // nothing else creates it again here: the replay does, to go on
  await waitFor(
    "the replay to create the stream again",
    async () => await streams.info(names.eventsStream) !== null,
  );
  for (let i = 1; i <= 3; i++) {
    emit(`new-${i}`);
    await env.services.get(EventService).then((events) => events.flush());
    await waitFor(
      "the new stream to store the batch",
      async () => await streams.count(names.eventsStream, names.eventsSubject("jobs")) >= i,
    );
  }
  const first = await within("the first event of the new stream", waiting);
  const rest = await collectEvents(replay, (event) => event.jobId === "new-3");
  assert.deepEqual(ids([first.value as JobEvent, ...rest]), ["new-1", "new-2", "new-3"]);
});

Deno.test("events({ since }) goes on where it was when its consumer alone is deleted", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const { emit, send } = await emitter(env, clock);
  for (let i = 1; i <= 3; i++) {
    emit(`before-${i}`);
    await send();
  }
  const replay = env.queue.events({ since: 0 });
  const heard: string[] = [];
  for (let i = 1; i <= 3; i++) heard.push((await replay.next()).value?.jobId ?? "(ended)");
  const waiting = replay.next();

  const names = wireNames(env.services.config.prefix);
  const jsm = await (await env.services.get(ConnectionService)).jetstreamManager();
  const consumers = await jsm.consumers.list(names.eventsStream).next();
  assert.equal(consumers.length, 1);
  await jsm.consumers.delete(names.eventsStream, consumers[0].name);
  for (let i = 1; i <= 3; i++) {
    emit(`after-${i}`);
    await send();
  }
  heard.push((await within("the first event after", waiting)).value?.jobId ?? "(ended)");
  const rest = await collectEvents(replay, (event) => event.jobId === "after-3");
  assert.deepEqual([...heard, ...ids(rest)], [
    "before-1",
    "before-2",
    "before-3",
    "after-1",
    "after-2",
    "after-3",
  ]);
});

Deno.test("events({ since }) left, or aborted, leaves no consumer on the server", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  const { emit, send } = await emitter(env, clock);
  emit("stored");
  await send();
  const names = wireNames(env.services.config.prefix);
  const jsm = await (await env.services.get(ConnectionService)).jetstreamManager();
  const consumers = async () => (await jsm.consumers.list(names.eventsStream).next()).length;

  const left = env.queue.events({ since: 0 });
  assert.equal((await left.next()).value?.jobId, "stored");
  assert.equal(await consumers(), 1);
  await left.return?.();
  // nats.js would leave an ordered consumer for its inactive threshold, 5 minutes
  await waitFor("the consumer of the replay left to go", async () => await consumers() === 0);

  const controller = new AbortController();
  const aborted = env.queue.events({ since: 0, signal: controller.signal });
  assert.equal((await aborted.next()).value?.jobId, "stored");
  const waiting = aborted.next();
  controller.abort();
  assert.equal((await within("the replay to end", waiting)).done, true);
  await waitFor("the consumer of the replay aborted to go", async () => await consumers() === 0);
});
