import assert from "node:assert/strict";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { Worker } from "../../src/worker.ts";
import { defineTask } from "../../src/task.ts";
import { testConfig, waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { consumerCount, startNatsServer } from "../helpers/nats_server.ts";
import { consumerState, runMessages, setup, silent } from "./_setup.ts";

Deno.test("a result JSON cannot hold fails the attempt with a TypeError, and the job ends dead", async () => {
  await using env = await setup();
  let runs = 0;
  const big = defineTask("big", () => {
    runs += 1;
    return { count: 10n };
  });
  env.worker([big]);
  const handle = await env.queue.enqueue(big, null, { attempts: 2 });
  await assert.rejects(handle.result({ timeout: "30s" }), /failed for good/);
  const job = await env.queue.getJob(handle.id);
  assert.equal(runs, 2);
  assert.equal(job?.state, "dead");
  assert.deepEqual(job?.errors.map((error) => [error.name, error.message]), [
    [
      "TypeError",
      "the handler's result cannot be stored as JSON: Do not know how to serialize a BigInt",
    ],
    [
      "TypeError",
      "the handler's result cannot be stored as JSON: Do not know how to serialize a BigInt",
    ],
  ]);
});

Deno.test("a thrown value that cannot be shown as text is still recorded", async () => {
  await using env = await setup();
  const odd = defineTask("odd", () => {
    throw Object.create(null);
  });
  env.worker([odd]);
  const handle = await env.queue.enqueue(odd, null, { attempts: 1 });
  await assert.rejects(handle.result({ timeout: "30s" }), /failed for good/);
  assert.deepEqual((await env.queue.getJob(handle.id))?.errors.map((error) => error.message), [
    "a thrown object that cannot be shown as text",
  ]);
});

Deno.test("an un-awaited progress() that cannot be stored neither fails the job nor the worker", async () => {
  await using env = await setup();
  const chatty = defineTask("chatty", (_: null, ctx) => {
    void ctx.progress({ bytes: 10n });
    return "done";
  });
  env.worker([chatty]);
  const first = await env.queue.enqueue(chatty, null);
  assert.equal(await first.result({ timeout: "30s" }), "done");
  const second = await env.queue.enqueue(chatty, null);
  assert.equal(await second.result({ timeout: "30s" }), "done", "the worker is still running");
});

Deno.test("purge() leaves a running job alone: it still completes", async () => {
  await using env = await setup();
  const started = Promise.withResolvers<void>();
  const finish = Promise.withResolvers<void>();
  const slow = defineTask("slow", async () => {
    started.resolve();
    await finish.promise;
    return "finished";
  });
  const running = await env.queue.enqueue(slow, null);
  env.worker([slow], 1);
  await started.promise;
  await env.queue.enqueueMany([{ task: slow, payload: null }, { task: slow, payload: null }]);
  assert.equal(await env.queue.purge(), 2, "only the jobs that had not started");
  assert.equal(
    await runMessages(env.server),
    1,
    "the purged jobs' are gone, the running one's stays",
  );
  finish.resolve();
  assert.equal(await running.result({ timeout: "30s" }), "finished");
  const stats = await env.queue.stats();
  assert.equal(stats.completed, 1);
  assert.equal(stats.cancelled, 2);
});

Deno.test("a timed-out handler that ignores its signal keeps its slot until it returns", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const finish = [0, 1, 2].map(() => Promise.withResolvers<void>());
  const stubborn = defineTask("stubborn", async (n: number) => {
    running += 1;
    most = Math.max(most, running);
    started.push(n);
    await finish[n].promise; // deaf to ctx.signal
    running -= 1;
  });
  env.worker([stubborn], 1);
  const handles = await env.queue.enqueueMany(
    [0, 1, 2].map((n) => ({ task: stubborn, payload: n, options: { timeout: 100, attempts: 1 } })),
  );
  for (const [n, handle] of handles.entries()) {
    await waitFor(`job ${n} to start`, () => started.length === n + 1);
    clock.advance(100);
    await waitFor(
      `job ${n} to time out`,
      async () => (await env.queue.getJob(handle.id))?.state === "dead",
    );
    await waitFor(
      `job ${n}'s message to be acknowledged`,
      async () => (await consumerState(env.server))?.num_ack_pending === 0,
    );
    // a worker that freed the slot at the timeout would have pulled the next job by now
    const consumer = (await consumerState(env.server))!;
    assert.equal(consumer.num_waiting, 0, "no pull open while the handler still runs");
    assert.equal(consumer.delivered.stream_seq, n + 1, "the next job was not delivered");
    finish[n].resolve();
  }
  assert.equal(most, 1, "concurrency 1 held while handlers outlived their timeout");
  const jobs = await Promise.all(handles.map((handle) => env.queue.getJob(handle.id)));
  assert.deepEqual(jobs.map((job) => job?.state), ["dead", "dead", "dead"]);
  assert.ok(jobs.every((job) => /timed out after 100 ms/.test(job?.errors[0]?.message ?? "")));
});

Deno.test("an events() iterator aborted before its first next() lets go of its subscription", async () => {
  await using env = await setup();
  const subscriptions = async () =>
    (await env.server.monitor<{ connections: { subscriptions: number }[] }>("connz"))
      .connections.reduce((sum, connection) => sum + connection.subscriptions, 0);
  await env.queue.stats(); // open everything the queue itself subscribes to
  const before = await subscriptions();
  const stop = new AbortController();
  for (let i = 0; i < 5; i++) env.queue.events({ signal: stop.signal });
  await waitFor("the iterators to subscribe", async () => await subscriptions() === before + 5);
  stop.abort();
  await waitFor("the subscriptions to end", async () => await subscriptions() === before);
});

Deno.test("a worker whose connection is closed for good stops, and run() settles", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { nats: { reconnect: { wait: "50ms", maxAttempts: 1 } } });
  const noop = defineTask("noop", () => null);
  const worker = new Worker("jobs", [noop], { config, handleSignals: false, logger: silent });
  // settled either way, and handled from the start: the kill may land during the connect
  const run = worker.run().catch(() => {});
  await waitFor("the worker to connect", async () => await server.connectionCount() === 1);
  await server.kill();
  await within("run() to settle", run);
});

Deno.test("a cancelled job does not come back when its record expires", async () => {
  await using env = await setup({ config: { results: { ttl: "1s" } } });
  const runs: string[] = [];
  const counted = defineTask("counted", (name: string) => void runs.push(name));
  await env.queue.enqueueMany([
    { task: counted, payload: "purged" },
    { task: counted, payload: "purged" },
  ]);
  assert.equal(await env.queue.purge(), 2);
  await waitFor("the records to expire", async () => (await env.queue.stats()).cancelled === 0);
  // one job at a time, in queue order: a message of a purged job would run before this one
  env.worker([counted], 1);
  await (await env.queue.enqueue(counted, "marker")).result({ timeout: "30s" });
  assert.deepEqual(runs, ["marker"]);
});

Deno.test("enqueue() refuses a timeout setTimeout cannot wait for", async () => {
  await using env = await setup();
  await assert.rejects(env.queue.enqueue("t", null, { timeout: "30d" }), {
    name: "RangeError",
    message: /'timeoutMs': must be at most 2147483647 ms \(about 24 days\), got 2592000000/,
  });
});

Deno.test("a worker closes while the server is unreachable, without waiting for it", async () => {
  await using server = await startNatsServer();
  // it reconnects for ever: close() must wait neither for the server nor for its open pull
  const config = testConfig(server.url);
  const noop = defineTask("noop", () => null);
  const worker = new Worker("jobs", [noop], { config, handleSignals: false, logger: silent });
  const run = worker.run().catch(() => {});
  await waitFor(
    "a pull to be open",
    async () => ((await consumerState(server))?.num_waiting ?? 0) > 0,
  );
  await server.kill();
  await within("close() to finish", worker.close());
  await run;
});

Deno.test("stats() and listJobs() add no consumer per call on the server", async () => {
  await using env = await setup();
  await env.queue.enqueueMany(Array.from({ length: 5 }, () => ({ task: "t", payload: null })));
  assert.equal((await env.queue.stats()).waiting, 5);
  const consumers = await consumerCount(env.server, "naq_queue_jobs");
  for (let i = 0; i < 5; i++) {
    assert.equal((await env.queue.stats()).waiting, 5);
    assert.equal((await env.queue.listJobs()).length, 5);
  }
  assert.equal(await consumerCount(env.server, "naq_queue_jobs"), consumers);
});

Deno.test("enqueue() recreates a queue stream that was deleted under it", async () => {
  await using env = await setup();
  await env.queue.enqueue("t", 1);
  const jsm = await (await env.services.get(ConnectionService)).jetstreamManager();
  await jsm.streams.delete("naq_queue_jobs");
  const handle = await env.queue.enqueue("t", 2);
  assert.equal(handle.job.state, "waiting");
  const stream = await (await env.services.get(StreamService)).info("naq_queue_jobs");
  assert.equal(stream?.state.messages, 1);
});
