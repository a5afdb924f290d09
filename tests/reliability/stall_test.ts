/**
 * Stalls: a worker that dies while it runs a job (SIGKILL, out of memory) leaves no outcome.
 * The job runs again elsewhere as the same attempt, even on its last one; a job that kills
 * every worker that runs it is dead after the queue's `maxStalls`, saying so.
 *
 * @module
 */
import assert from "node:assert/strict";
import { JobFailedError } from "../../src/errors.ts";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor, within } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger, waitForAllAcknowledged } from "./_helpers.ts";
import { sleepyTask } from "./fixtures/sleepy_task.ts";

const SLOW_WORKER = new URL("./fixtures/slow_worker.ts", import.meta.url).pathname;
const CRASHING_WORKER = new URL("./fixtures/crashing_worker.ts", import.meta.url).pathname;

function spawnWorker(
  fixture: string,
  url: string,
  queue: string,
  id: string,
  env: Record<string, string>,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", fixture, url, queue, id],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

Deno.test("a worker SIGKILLed on a job's last attempt: the job runs again elsewhere, uncounted, and completes", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "1s" } });
  await using queue = new Queue("stall", { config });
  const handle = await queue.enqueue("sleepy", { index: 7 }, { attempts: 1 });
  const waiting = handle.result({ timeout: "60s" });

  // a worker in another process takes it and sleeps on it for 30 s of real time
  const child = spawnWorker(SLOW_WORKER, server.url, "stall", "doomed-worker", {
    SLOW_WORKER_SLEEP_MS: "30000",
    ACK_WAIT: "1s",
    CONCURRENCY: "1",
  });
  try {
    await waitFor("the child worker to run the job", async () => {
      const job = await queue.getJob(handle.id);
      return job?.state === "active" && job.worker === "doomed-worker";
    }, 60_000);
  } finally {
    child.kill("SIGKILL");
    assert.equal((await child.status).signal, "SIGKILL", "it was running when killed");
  }

  const attempts: number[] = [];
  await using worker = new Worker(
    "stall",
    [sleepyTask(0, (_, attempt) => attempts.push(attempt))],
    {
      config,
      id: "survivor",
      concurrency: 1,
      handleSignals: false,
      logger: silentLogger,
    },
  );
  const running = worker.run();
  // the server redelivers it once its 1 s ack wait runs out
  assert.deepEqual(
    await within("the waiter from before the kill", waiting, 60_000),
    { index: 7, pid: Deno.pid },
  );
  const job = (await queue.getJob(handle.id))!;
  assert.equal(job.state, "completed");
  assert.equal(job.worker, "survivor");
  assert.equal(job.attempt, 1, "the attempt the dead worker started is not counted twice");
  assert.deepEqual(job.errors, []);
  assert.deepEqual(attempts, [1], "it ran here as attempt 1 of 1");
  await waitForAllAcknowledged(server, "stall");
  await worker.close();
  await running;
});

Deno.test("a job that kills its worker every time is dead after maxStalls, with a reason that says so", async () => {
  await using server = await startNatsServer();
  const MAX_STALLS = 1;
  const config = testConfig(server.url, {
    queueDefaults: { ackWait: "1s", maxStalls: MAX_STALLS },
  });
  await using queue = new Queue("stall", { config });
  const handle = await queue.enqueue("crash", null, { attempts: 3 });
  const waiting = handle.result({ timeout: "60s" }).then(() => null, (err) => err);

  // the first run and one rerun (maxStalls: 1), each on a worker it kills
  for (const id of ["crashed-1", "crashed-2"]) {
    const child = spawnWorker(CRASHING_WORKER, server.url, "stall", id, {
      ACK_WAIT: "1s",
      MAX_STALLS: String(MAX_STALLS),
    });
    const status = await within(`worker ${id} to run the job and die`, child.status, 60_000)
      .finally(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // it is dead already
        }
      });
    assert.equal(status.signal, "SIGKILL", `worker ${id} died running the job`);
  }

  // the next worker to get it dead-letters it instead of running it a third time
  let runsHere = 0;
  const crashHere = defineTask("crash", () => {
    runsHere += 1;
    return "survived";
  });
  await using worker = new Worker("stall", [crashHere], {
    config,
    id: "careful",
    concurrency: 1,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  const error = await within("the job to end", waiting, 60_000);
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.equal(runsHere, 0, "not run again once its stalls passed maxStalls");

  const job = (await queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.match(job.deadReason!, /stopped without an outcome 2 times/);
  assert.match(job.deadReason!, /maxStalls \(1\)/);
  assert.match(error.message, /maxStalls/, "result() says why");
  const [letter] = await queue.deadLetters();
  assert.equal(letter?.job?.id, handle.id);
  assert.equal(letter.reason, job.deadReason);
  await waitForAllAcknowledged(server, "stall");
  assert.equal((await queue.stats()).dead, 1);
  // its one attempt was started (twice): the record says so, as the reason does
  assert.match(job.deadReason!, /^attempt 1 of 3 /);
  assert.equal(job.attempt, 1, "attempts started so far: attempt 1 ran, twice");
  await worker.close();
  await running;
});
