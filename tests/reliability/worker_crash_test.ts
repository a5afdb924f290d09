import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger, waitForAllAcknowledged, waitForStats } from "./_helpers.ts";
import { sleepyTask } from "./fixtures/sleepy_task.ts";

const FIXTURE = new URL("./fixtures/slow_worker.ts", import.meta.url).pathname;

Deno.test("a worker killed mid-job loses nothing: another worker completes every job", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "1s" } });
  await using queue = new Queue("crash", { config });
  const handles = await queue.enqueueMany(
    Array.from({ length: 15 }, (_, index) => ({ task: "sleepy", payload: { index } })),
  );

  // a worker in another process takes 10 of them and sleeps on them for 30 s of real time: it
  // must really be running them when it is killed, and nothing here drives its clock
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", FIXTURE, server.url, "crash", "doomed-worker"],
    env: { SLOW_WORKER_SLEEP_MS: "30000", ACK_WAIT: "1s", CONCURRENCY: "10" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  // the jobs the child runs when it is killed: their records say active, on the child
  let orphanedIds = new Set<string>();
  try {
    await waitFor("the child worker to run 10 jobs", async () => {
      const jobs = await Promise.all(handles.map(({ id }) => queue.getJob(id)));
      orphanedIds = new Set(
        jobs.filter((job) => job?.state === "active" && job.worker === "doomed-worker")
          .map((job) => job!.id),
      );
      return orphanedIds.size === 10;
    }, 60_000);
  } finally {
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL", "the child was still running when it was killed");
  }

  // the same task, without the sleep this time, in this process
  const runs = new Map<string, number[]>();
  const task = sleepyTask(0, (jobId, attempt) => {
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
  // the server redelivers the child's jobs once their 1 s ack wait runs out: no one keeps them alive
  await waitForStats(queue, "every job to complete", (stats) => stats.completed === 15, 60_000);
  // once the server holds no message of the queue, no stray redelivery can run anything
  await waitForAllAcknowledged(server, "crash");
  await worker.close();
  await running;

  for (const [index, { id }] of handles.entries()) {
    const job = await queue.getJob(id);
    assert.ok(job, `job ${index} has no record`);
    assert.equal(job.state, "completed", `job ${index}`);
    assert.equal(job.worker, "survivor", `job ${index}`);
    assert.deepEqual(job.result, { index, pid: Deno.pid }, `job ${index}`);
    assert.deepEqual(job.errors, [], `job ${index}`);
    // the attempt the dead worker started runs again as the same attempt: a stall is not a
    // failure of the job (see maxStalls); nothing else was run twice
    assert.equal(job.attempt, 1, `job ${index}`);
    assert.deepEqual(runs.get(id), [1], `job ${index} ran ${runs.get(id)}`);
  }
});
