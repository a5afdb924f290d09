import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger, waitForStats } from "./_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("close() with time to spare lets running jobs finish, and nothing runs twice", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "30s" } });
  await using queue = new Queue("graceful", { config });
  const runs = new Map<string, string[]>();
  const running = new Set<string>();
  const task = defineTask("job", async (payload: { index: number }, ctx) => {
    runs.set(ctx.jobId, [...runs.get(ctx.jobId) ?? [], ctx.queue]);
    running.add(ctx.jobId);
    await sleep(300);
    running.delete(ctx.jobId);
    return payload.index;
  });
  const handles = await queue.enqueueMany(
    Array.from({ length: 20 }, (_, index) => ({ task: "job", payload: { index } })),
  );

  const first = new Worker("graceful", [task], {
    config,
    id: "first",
    concurrency: 10,
    shutdownTimeout: "10s",
    handleSignals: false,
    logger: silentLogger,
  });
  const firstRun = first.run();
  await waitFor("10 jobs to be running", () => running.size === 10);
  const startedByFirst = new Set(running);
  const closing = Date.now();
  await first.close();
  await firstRun;
  const closedAfter = Date.now() - closing;

  assert.equal(running.size, 0, "close() returned while jobs were still running");
  assert.ok(closedAfter < 5_000, `close() took ${closedAfter} ms`);
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
    config,
    id: "second",
    concurrency: 10,
    handleSignals: false,
    logger: silentLogger,
  });
  const secondRun = second.run();
  await waitForStats(queue, "all 20 to complete", (stats) => stats.completed === 20, 10_000);
  await sleep(200); // room for a stray redelivery to run
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
  // a 30 s ack wait: only an immediate hand-back gets the jobs done within seconds
  const config = testConfig(server.url, { queueDefaults: { ackWait: "30s" } });
  await using queue = new Queue("handback", { config });

  const slowRuns = new Map<string, { aborted: boolean; reason?: unknown }>();
  const ignoring: Promise<unknown>[] = [];
  // half the jobs stop when their signal aborts; the other half ignore it and run 3 s
  const slow = defineTask("job", (payload: { index: number }, ctx) => {
    const run: { aborted: boolean; reason?: unknown } = { aborted: false };
    slowRuns.set(ctx.jobId, run);
    if (payload.index % 2 === 1) {
      const late = sleep(3_000).then(() => `late ${payload.index}`);
      ignoring.push(late);
      return late;
    }
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        run.aborted = true;
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
    config,
    id: "first",
    concurrency: 8,
    shutdownTimeout: 200,
    handleSignals: false,
    logger: silentLogger,
  });
  const firstRun = first.run();
  await waitFor("all 8 jobs to be active on the first worker", async () => {
    const jobs = await Promise.all(handles.map(({ id }) => queue.getJob(id)));
    return jobs.every((job) => job?.state === "active" && job.worker === "first");
  });
  const closing = Date.now();
  await first.close();
  await firstRun;
  const closedAfter = Date.now() - closing;
  assert.ok(closedAfter < 2_000, `close() took ${closedAfter} ms with a 200 ms deadline`);

  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.equal(job?.state, "waiting", `job ${index} was handed back`);
    assert.equal(job.attempt, 0, `job ${index}: the handed-back attempt is not counted`);
    assert.equal(job.worker, undefined, `job ${index}`);
    assert.deepEqual(job.errors, [], `job ${index}`);
    if (index % 2 === 0) {
      const run = slowRuns.get(id);
      assert.equal(run?.aborted, true, `job ${index}: its signal was aborted`);
      assert.match(String(run.reason), /shutting down/);
    }
  }

  await using second = new Worker("handback", [fast], {
    config,
    id: "second",
    concurrency: 8,
    handleSignals: false,
    logger: silentLogger,
  });
  const secondRun = second.run();
  await waitForStats(queue, "all 8 to complete", (stats) => stats.completed === 8, 5_000);
  // the ignoring handlers return now, on a worker that has let go of their jobs
  await Promise.all(ignoring);
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
