import assert from "node:assert/strict";
import type { JobRecord } from "../../src/core/job.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger, waitForAllAcknowledged, waitForStats } from "./_helpers.ts";

const JOBS = 2_000;
const ATTEMPTS = 3;

type Kind = "ok" | "flaky" | "doomed";

/** A tenth fail twice then succeed, a tenth always fail, the rest succeed at once. */
function kindOf(index: number): Kind {
  if (index % 10 === 3) return "flaky";
  if (index % 10 === 7) return "doomed";
  return "ok";
}

Deno.test("2,000 jobs through two workers: every job ends right, and runs exactly as often as it should", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: {
      ackWait: "10s",
      attempts: ATTEMPTS,
      backoff: { type: "fixed", delay: 20, jitter: 0 },
    },
  });
  await using queue = new Queue("many", { config });

  // every attempt each job's handler saw, by job id, across both workers
  const attemptsSeen = new Map<string, number[]>();
  const work = defineTask("work", (payload: { index: number }, ctx) => {
    const seen = attemptsSeen.get(ctx.jobId) ?? [];
    seen.push(ctx.attempt);
    attemptsSeen.set(ctx.jobId, seen);
    const kind = kindOf(payload.index);
    if (kind === "doomed") throw new Error(`job ${payload.index} always fails`);
    if (kind === "flaky" && ctx.attempt < ATTEMPTS) {
      throw new Error(`job ${payload.index} fails attempt ${ctx.attempt}`);
    }
    return { index: payload.index, square: payload.index ** 2 };
  });

  // by name: EnqueueItem<unknown> does not accept a task typed for its payload
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, index) => ({ task: work.name, payload: { index } })),
  );
  const indexOf = new Map(handles.map((handle, index) => [handle.id, index]));
  assert.equal(indexOf.size, JOBS, "every job has an id of its own");

  // two workers, each with its own connection, sharing the queue
  const managers = [new ServiceManager(config), new ServiceManager(config)];
  const workers = ["w1", "w2"].map((id, i) =>
    new Worker("many", [work], {
      services: managers[i],
      id,
      concurrency: 50,
      handleSignals: false,
      logger: silentLogger,
    })
  );
  const runs = workers.map((worker) => worker.run());

  const expectedRuns = [...indexOf.values()]
    .reduce((sum, index) => sum + (kindOf(index) === "ok" ? 1 : ATTEMPTS), 0);
  const countRuns = () => [...attemptsSeen.values()].reduce((sum, seen) => sum + seen.length, 0);
  await waitFor(`${expectedRuns} handler runs`, () => countRuns() >= expectedRuns, 60_000);
  await waitForStats(
    queue,
    "every job to finish",
    (stats) => stats.completed + stats.dead === JOBS,
    60_000,
  );
  // once the server holds no message of the queue, no stray redelivery can run anything: the
  // run counts read after the workers closed are final
  await waitForAllAcknowledged(server, "many");
  // a job's record is stored before its message is acknowledged: counted now, none is active
  const stats = await queue.stats();
  await Promise.all(workers.map((worker) => worker.close()));
  await Promise.all(runs);
  // the workers were given their managers, so they leave them open
  await Promise.all(managers.map((services) => services.close()));

  const expectedDead = [...indexOf.values()].filter((index) => kindOf(index) === "doomed").length;
  assert.deepEqual(stats, {
    delayed: 0,
    waiting: 0,
    active: 0,
    failed: 0,
    completed: JOBS - expectedDead,
    dead: expectedDead,
    cancelled: 0,
  });
  assert.equal(countRuns(), expectedRuns, "the handler ran more or fewer times than needed");

  const records = new Map<string, JobRecord>();
  await Promise.all(handles.map(async ({ id }) => {
    const job = await queue.getJob(id);
    assert.ok(job, `job ${id} has no record`);
    records.set(id, job);
  }));

  const letters = await queue.deadLetters(JOBS);
  assert.equal(letters.length, expectedDead, "dead letters listed");
  const lettersById = new Map<string, number>();
  for (const letter of letters) {
    assert.ok(letter.job, `dead letter ${letter.seq} carries no job`);
    lettersById.set(letter.job.id, (lettersById.get(letter.job.id) ?? 0) + 1);
  }

  for (const [id, index] of indexOf) {
    const job = records.get(id)!;
    const kind = kindOf(index);
    const seen = attemptsSeen.get(id);
    assert.deepEqual(job.payload, { index });
    assert.ok(job.worker === "w1" || job.worker === "w2", `job ${index}: worker ${job.worker}`);
    if (kind === "ok") {
      assert.equal(job.state, "completed", `job ${index}`);
      assert.equal(job.attempt, 1, `job ${index}`);
      assert.deepEqual(job.result, { index, square: index ** 2 });
      assert.equal(job.errors.length, 0, `job ${index}`);
      assert.deepEqual(seen, [1], `job ${index} ran attempts ${seen}`);
    } else if (kind === "flaky") {
      assert.equal(job.state, "completed", `job ${index}`);
      assert.equal(job.attempt, ATTEMPTS, `job ${index}`);
      assert.deepEqual(job.result, { index, square: index ** 2 });
      assert.deepEqual(job.errors.map((error) => error.attempt), [1, 2], `job ${index}`);
      assert.deepEqual(seen, [1, 2, 3], `job ${index} ran attempts ${seen}`);
    } else {
      assert.equal(job.state, "dead", `job ${index}`);
      assert.equal(job.attempt, ATTEMPTS, `job ${index}`);
      assert.equal("result" in job, false);
      assert.deepEqual(job.errors.map((error) => error.attempt), [1, 2, 3], `job ${index}`);
      assert.equal(job.errors.at(-1)?.message, `job ${index} always fails`);
      assert.deepEqual(seen, [1, 2, 3], `job ${index} ran attempts ${seen}`);
      assert.equal(lettersById.get(id), 1, `job ${index} is in the dead letters once`);
    }
  }

  for (const letter of letters) {
    const job = letter.job!;
    const index = indexOf.get(job.id);
    assert.ok(index !== undefined, `dead letter for unknown job ${job.id}`);
    assert.equal(kindOf(index), "doomed", `job ${index} should not be dead`);
    assert.equal(letter.queue, "many");
    assert.deepEqual(job.payload, { index });
    assert.equal(job.state, "dead");
    assert.deepEqual(
      job.errors.map((error) => [error.attempt, error.message]),
      [1, 2, 3].map((attempt) => [attempt, `job ${index} always fails`]),
    );
    assert.ok(letter.worker === "w1" || letter.worker === "w2", `worker ${letter.worker}`);
    assert.equal(letter.worker, job.errors.at(-1)?.worker, "the worker that ran the last attempt");
    assert.equal(letter.worker, records.get(job.id)!.worker);
  }
});
