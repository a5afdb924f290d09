import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import {
  closeOnExit,
  onExit,
  silentLogger,
  waitForAllAcknowledged,
  waitForStats,
  WatchedClock,
} from "./_helpers.ts";

// the workers' shutdown deadline, on a clock that moves only when the test advances it
const SHUTDOWN_MS = 10_000;

Deno.test("close() with time to spare lets running jobs finish, and nothing runs twice", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "30s" } });
  const clock = new WatchedClock();
  await using services = new ServiceManager(config, { clock });
  await using queue = new Queue("graceful", { services });
  const runs = new Map<string, string[]>();
  const signals = new Map<string, AbortSignal>();
  const running = new Set<string>();
  // the jobs run until the test lets them finish
  const finishing = Promise.withResolvers<void>();
  const task = defineTask("job", async (payload: { index: number }, ctx) => {
    runs.set(ctx.jobId, [...runs.get(ctx.jobId) ?? [], ctx.queue]);
    signals.set(ctx.jobId, ctx.signal);
    running.add(ctx.jobId);
    await finishing.promise;
    running.delete(ctx.jobId);
    return payload.index;
  });
  const handles = await queue.enqueueMany(
    Array.from({ length: 20 }, (_, index) => ({ task: "job", payload: { index } })),
  );

  const first = new Worker("graceful", [task], {
    services,
    id: "first",
    concurrency: 10,
    shutdownTimeout: SHUTDOWN_MS,
    handleSignals: false,
    logger: silentLogger,
  });
  const firstRun = first.run();
  // should an assertion fail before the jobs finish, they finish, and the worker closes
  await using _closeFirst = closeOnExit(first, clock, SHUTDOWN_MS);
  using _finish = onExit(() => finishing.resolve());
  await waitFor("10 jobs to be running", () => running.size === 10, 30_000);
  const startedByFirst = new Set(running);
  let closed = false;
  const closing = first.close().then(() => closed = true);
  await waitFor(
    "close() to wait for the running jobs",
    () => closed || clock.sleepingFor(SHUTDOWN_MS),
    30_000,
  );
  clock.advance(SHUTDOWN_MS - 1); // the deadline is a millisecond away: time to spare still
  for (const id of startedByFirst) {
    // a round trip each, in which a close() that did not wait would have returned
    assert.equal((await queue.getJob(id))?.state, "active", `job ${id} still runs`);
    assert.equal(signals.get(id)?.aborted, false, `job ${id} was not told to stop`);
  }
  assert.equal(closed, false, "close() returned while jobs were still running");

  finishing.resolve();
  await closing;
  await firstRun;
  const afterFirst = await Promise.all(handles.map(({ id }) => queue.getJob(id)));
  for (const [index, job] of afterFirst.entries()) {
    assert.ok(job);
    if (startedByFirst.has(job.id)) {
      assert.equal(job.state, "completed", `job ${index}, running at close(), finished`);
      assert.equal(job.worker, "first");
      assert.equal(job.result, index);
    } else {
      assert.equal(job.state, "waiting", `job ${index}, not started, was left waiting`);
      assert.equal(job.attempt, 0);
    }
  }
  assert.equal(runs.size, startedByFirst.size, "the first worker started no job after close()");

  await using second = new Worker("graceful", [task], {
    services,
    id: "second",
    concurrency: 10,
    handleSignals: false,
    logger: silentLogger,
  });
  const secondRun = second.run();
  await waitForStats(queue, "all 20 to complete", (stats) => stats.completed === 20, 60_000);
  // once the server holds no message of the queue, no stray redelivery can run anything
  await waitForAllAcknowledged(server, "graceful");
  await second.close();
  await secondRun;

  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.equal(job?.state, "completed", `job ${index}`);
    assert.equal(job.attempt, 1, `job ${index}`);
    assert.equal(job.result, index);
    assert.equal(job.worker, startedByFirst.has(id) ? "first" : "second", `job ${index}`);
    assert.equal(runs.get(id)?.length, 1, `job ${index} ran ${runs.get(id)?.length ?? 0} times`);
  }
});

Deno.test("close() past its deadline hands running jobs back for another worker at once", async () => {
  await using server = await startNatsServer();
  // an hour's ack wait: a job not handed back would not come back while the test runs
  const config = testConfig(server.url, { queueDefaults: { ackWait: "1h" } });
  const clock = new WatchedClock();
  await using services = new ServiceManager(config, { clock });
  await using queue = new Queue("handback", { services });

  const slowRuns = new Map<string, { signal: AbortSignal; reason?: unknown }>();
  const ignoring: Promise<unknown>[] = [];
  // the handlers that ignore their signal return when the test says
  const late = Promise.withResolvers<void>();
  // half the jobs stop when their signal aborts; the other half ignore it
  const slow = defineTask("job", (payload: { index: number }, ctx) => {
    const run: { signal: AbortSignal; reason?: unknown } = { signal: ctx.signal };
    slowRuns.set(ctx.jobId, run);
    if (payload.index % 2 === 1) {
      const returning = late.promise.then(() => `late ${payload.index}`);
      ignoring.push(returning);
      return returning;
    }
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        run.reason = ctx.signal.reason;
        reject(ctx.signal.reason);
      }, { once: true });
    });
  });
  const fastRuns = new Map<string, number[]>();
  const fast = defineTask("job", (payload: { index: number }, ctx) => {
    fastRuns.set(ctx.jobId, [...fastRuns.get(ctx.jobId) ?? [], ctx.attempt]);
    return payload.index;
  });
  const handles = await queue.enqueueMany(
    Array.from({ length: 8 }, (_, index) => ({ task: "job", payload: { index } })),
  );

  const first = new Worker("handback", [slow], {
    services,
    id: "first",
    concurrency: 8,
    shutdownTimeout: SHUTDOWN_MS,
    handleSignals: false,
    logger: silentLogger,
  });
  const firstRun = first.run();
  // should an assertion fail midway, the worker hands its jobs back and closes all the same
  await using _closeFirst = closeOnExit(first, clock, SHUTDOWN_MS);
  using _returnLate = onExit(() => late.resolve());
  await waitFor("all 8 jobs to be active on the first worker", async () => {
    const jobs = await Promise.all(handles.map(({ id }) => queue.getJob(id)));
    return jobs.every((job) => job?.state === "active" && job.worker === "first");
  }, 30_000);
  let closed = false;
  const closing = first.close().then(() => closed = true);
  await waitFor(
    "close() to wait out its deadline",
    () => closed || clock.sleepingFor(SHUTDOWN_MS),
    30_000,
  );
  clock.advance(SHUTDOWN_MS - 1);
  for (const [index, { id }] of handles.entries()) {
    // a round trip each, in which a hand-back before the deadline would have shown
    assert.equal((await queue.getJob(id))?.state, "active", `job ${index} still runs`);
    assert.equal(slowRuns.get(id)?.signal.aborted, false, `job ${index} was not told to stop`);
  }
  assert.equal(closed, false, "close() returned before its deadline");
  clock.advance(1);
  await closing;
  await firstRun;

  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.equal(job?.state, "waiting", `job ${index} was handed back`);
    assert.equal(job.attempt, 0, `job ${index}: the handed-back attempt is not counted`);
    assert.equal(job.worker, undefined, `job ${index}`);
    assert.deepEqual(job.errors, [], `job ${index}`);
    const run = slowRuns.get(id);
    assert.equal(run?.signal.aborted, true, `job ${index}: its signal was aborted`);
    assert.match(String(run.signal.reason), /shutting down/);
    if (index % 2 === 0) assert.equal(run.reason, run.signal.reason, `job ${index} saw why`);
  }

  await using second = new Worker("handback", [fast], {
    services,
    id: "second",
    concurrency: 8,
    handleSignals: false,
    logger: silentLogger,
  });
  const secondRun = second.run();
  // within a minute, where jobs that were not handed back would take the hour of their ack wait
  await waitForStats(queue, "all 8 to complete", (stats) => stats.completed === 8, 60_000);
  // the ignoring handlers return now, on a worker that has let go of their jobs
  late.resolve();
  await Promise.all(ignoring);
  await waitForAllAcknowledged(server, "handback");
  await second.close();
  await secondRun;

  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.equal(job?.state, "completed", `job ${index}`);
    assert.equal(job.worker, "second", `job ${index}`);
    assert.equal(job.attempt, 1, `job ${index}`);
    assert.equal(job.result, index, `job ${index}: a late return did not overwrite the result`);
    assert.deepEqual(job.errors, [], `job ${index}`);
    assert.deepEqual(fastRuns.get(id), [1], `job ${index} ran ${fastRuns.get(id)} on the second`);
  }
});
