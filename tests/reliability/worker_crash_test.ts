import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger, waitForStats } from "./_helpers.ts";
import { sleepyTask } from "./fixtures/sleepy_task.ts";

const FIXTURE = new URL("./fixtures/slow_worker.ts", import.meta.url).pathname;

Deno.test("a worker killed mid-job loses nothing: another worker completes every job", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "1s" } });
  await using queue = new Queue("crash", { config });
  const handles = await queue.enqueueMany(
    Array.from({ length: 15 }, (_, index) => ({ task: "sleepy", payload: { index } })),
  );

  // a worker in another process takes 10 of them and sleeps on them for 30 s
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", FIXTURE, server.url, "crash", "doomed-worker"],
    env: { SLOW_WORKER_SLEEP_MS: "30000", ACK_WAIT: "1s", CONCURRENCY: "10" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await waitFor("the child worker to run 10 jobs", async () => {
      const jobs = await Promise.all(handles.map(({ id }) => queue.getJob(id)));
      return jobs.filter((job) => job?.state === "active" && job.worker === "doomed-worker")
        .length === 10;
    }, 20_000);
  } finally {
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
  }
  const orphaned = (await Promise.all(handles.map(({ id }) => queue.getJob(id))))
    .filter((job) => job?.state === "active");
  assert.equal(orphaned.length, 10, "the killed worker's jobs are still marked active");

  // the same task, fast this time, in this process
  const runs = new Map<string, number[]>();
  const task = sleepyTask(10, (jobId, attempt) => {
    runs.set(jobId, [...runs.get(jobId) ?? [], attempt]);
  });
  await using worker = new Worker("crash", [task], {
    config,
    id: "survivor",
    concurrency: 20,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  // well within the child's 30 s sleep: its jobs came back after the 1 s ack wait
  await waitForStats(queue, "every job to complete", (stats) => stats.completed === 15, 15_000);
  await worker.close();
  await running;

  const orphanedIds = new Set(orphaned.map((job) => job!.id));
  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.ok(job, `job ${index} has no record`);
    assert.equal(job.state, "completed", `job ${index}`);
    assert.equal(job.worker, "survivor", `job ${index}`);
    assert.deepEqual(job.result, { index, pid: Deno.pid }, `job ${index}`);
    assert.deepEqual(job.errors, [], `job ${index}`);
    // the attempt the dead worker started counts; nothing else was run twice
    const expectedAttempt = orphanedIds.has(id) ? 2 : 1;
    assert.equal(job.attempt, expectedAttempt, `job ${index}`);
    assert.deepEqual(runs.get(id), [expectedAttempt], `job ${index} ran ${runs.get(id)}`);
  }
});
