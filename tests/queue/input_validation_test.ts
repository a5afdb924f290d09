import assert from "node:assert/strict";
import { MAX_PREFIX_LENGTH, MAX_QUEUE_NAME_LENGTH, wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup, silent } from "./_setup.ts";

const NOT_JSON = /^Cannot enqueue as the payload cannot be sent as JSON: /;

Deno.test("enqueue() refuses a function or a symbol as the payload, and stores nothing", async () => {
  await using env = await setup();
  const task = defineTask("t", (_: unknown) => null);
  await assert.rejects(env.queue.enqueue(task, () => 1), {
    name: "TypeError",
    message: "Cannot enqueue as the payload cannot be sent as JSON: payload is a function, " +
      "which JSON cannot hold; send data, and keep the code in the task",
  });
  await assert.rejects(env.queue.enqueue(task, Symbol()), {
    name: "TypeError",
    message: "Cannot enqueue as the payload cannot be sent as JSON: payload is a symbol " +
      "(Symbol()), which JSON cannot hold; send a string",
  });
  await assert.rejects(env.queue.enqueue("t", { rows: [{ total: NaN }] }), {
    name: "TypeError",
    message: /payload\.rows\[0\]\.total is NaN, which JSON turns into null/,
  });
  await assert.rejects(env.queue.enqueue("t", { count: 1n }), {
    name: "TypeError",
    message: /payload\.count is a BigInt \(1n\)/,
  });
  assert.equal((await env.queue.stats()).waiting, 0, "nothing was stored");
});

Deno.test("enqueueMany() with one payload JSON cannot carry stores none of the batch", async () => {
  await using env = await setup();
  await assert.rejects(
    env.queue.enqueueMany([
      { task: "t", payload: 1 },
      { task: "t", payload: { at: new Date(0) } },
    ]),
    { name: "TypeError", message: /payload\.at is a Date/ },
  );
  const stream = await (await env.services.get(StreamService))
    .info(wireNames(env.services.config.prefix).queueStream("jobs"));
  assert.equal(stream?.state.messages ?? 0, 0);
});

Deno.test("check(), schedule() and updateSchedule() refuse a payload JSON cannot carry", async () => {
  await using env = await setup();
  await assert.rejects(env.queue.check("t", [undefined]), {
    name: "TypeError",
    message: /payload\[0\] is undefined, which JSON turns into null/,
  });
  await assert.rejects(env.queue.schedule("s", "t", { run() {} }, { every: "1m" }), {
    name: "TypeError",
    message: NOT_JSON,
  });
  await env.queue.schedule("s", "t", null, { every: "1m" });
  await assert.rejects(env.queue.updateSchedule("s", { payload: [Infinity] }), {
    name: "TypeError",
    message: /payload\[0\] is Infinity/,
  });
  assert.equal((await env.queue.getSchedule("s"))?.payload, null, "the schedule is unchanged");
});

Deno.test("a payload left undefined is sent as null, as a task without one expects", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("t", undefined);
  assert.equal(handle.job.payload, null);
});

Deno.test("enqueue() refuses a delay or runAt past what a Date holds, saying the limit", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  await assert.rejects(env.queue.enqueue("t", null, { delay: 1e20 }), {
    name: "RangeError",
    message: "Cannot use 100000000000000000000 ms as delay: it ends past 8.64e15 ms either " +
      "side of the epoch (+275760-09-13), the farthest a Date holds; give at most " +
      `${8.64e15 - clock.now()} ms from now`,
  });
  await assert.rejects(env.queue.enqueue("t", null, { delay: "100000000000d" }), {
    name: "RangeError",
    message: /ms as delay: it ends past 8\.64e15 ms/,
  });
  for (const runAt of [8.64e15 + 1, -8.64e15 - 1]) {
    await assert.rejects(env.queue.enqueue("t", null, { runAt }), {
      name: "RangeError",
      message: `Cannot use ${runAt} ms as runAt: give at most 8.64e15 ms either side of the ` +
        "epoch (+275760-09-13), the farthest a Date holds",
    });
  }
  await assert.rejects(
    env.queue.schedule("s", "t", null, { every: "1m" }, { endAt: 1e20 }),
    { name: "RangeError", message: /as endAt: give at most 8\.64e15 ms/ },
  );
  const stats = await env.queue.stats();
  assert.equal(stats.waiting + stats.delayed, 0, "nothing was stored");
});

Deno.test("a queue name too long for NATS is refused at once, naming the limit", async () => {
  await using env = await setup();
  assert.throws(() => new Queue("q".repeat(10_000), { services: env.services }), {
    name: "TypeError",
    message: `Cannot use "${"q".repeat(40)}…" (10000 characters) as a queue name: it has ` +
      `10000 characters, more than ${MAX_QUEUE_NAME_LENGTH}; use 1 to ` +
      `${MAX_QUEUE_NAME_LENGTH} letters, digits, "_" and "-" (so that its consumer's name fits ` +
      "NATS's limit of 255 characters)",
  });
});

Deno.test("the longest prefix and queue name run a job end to end", async () => {
  const prefix = "p".repeat(MAX_PREFIX_LENGTH);
  await using env = await setup({ config: { prefix } });
  const name = "q".repeat(MAX_QUEUE_NAME_LENGTH);
  const echo = defineTask("echo", (payload: string) => payload);
  await using queue = new Queue(name, { services: env.services });
  await using worker = new Worker(name, [echo], {
    services: env.services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  const handle = await queue.enqueue(echo, "hello");
  assert.equal(await handle.result({ timeout: "30s" }), "hello");
  const stream = await (await env.services.get(StreamService))
    .info(wireNames(prefix).queueStream(name));
  assert.equal(stream?.config.name.length, MAX_PREFIX_LENGTH + "_queue_".length + name.length);
});

Deno.test("a Worker refuses a bad queue name when it is made, as a Queue does", async () => {
  await using env = await setup();
  for (const name of ["orders.eu", "my queue", "jobs.*", ">", ""]) {
    assert.throws(() => new Worker(["fine", name], [], { services: env.services }), {
      name: "TypeError",
      message: new RegExp(`^Cannot use ${RegExp.escape(JSON.stringify(name))} as a queue name: `),
    });
    assert.throws(() => new Queue(name, { services: env.services }), TypeError);
  }
});
