import assert from "node:assert/strict";
import { DelayedJobStore } from "../../src/services/delayed_job_store.ts";
import { JobService } from "../../src/services/job_service.ts";
import { StreamService } from "../../src/services/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { waitFor } from "../helpers/config.ts";
import { silent } from "../queue/_setup.ts";
import { schedulerSetup } from "./_setup.ts";

const HOUR = 3_600_000;

// the same delayed message promoted twice (two leaders overlapping, or a leader retrying a
// promote whose reply it lost) after the job has moved on to its next retry
Deno.test("a delayed message promoted again after its job moved on changes nothing", async () => {
  await using s = await schedulerSetup({
    config: { queueDefaults: { attempts: 3, backoff: { type: "fixed", delay: "1h", jitter: 0 } } },
  });
  let runs = 0;
  const flaky = defineTask("flaky", () => {
    runs++;
    throw new Error("boom");
  });
  // its scheduler replica leads, and stores retries in the delayed stream
  await using worker = new Worker("jobs", [flaky], {
    services: s.services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  const handle = await s.queue.enqueue(flaky, null, { delay: "1m" });
  const delayed = await s.services.get(DelayedJobStore);
  const jobs = await s.services.get(JobService);
  const first = (await delayed.find("jobs", handle.id))!;

  await jobs.promote(first, "leader A");
  await waitFor(
    "attempt 1 to fail",
    async () => (await s.queue.getJob(handle.id))?.state === "failed",
  );
  await jobs.promote(first, "leader B"); // stale: the job waits for its retry now
  // both settled when promote() returned: the record, and any copy it published
  assert.equal((await s.queue.getJob(handle.id))?.state, "failed");
  assert.equal(await lastQueueSeq(), 1, "the stale promote published no copy of the job");

  s.clock.advance(HOUR + 1);
  await waitFor("attempt 2 to run", () => runs === 2);
  const job = await s.queue.getJob(handle.id);
  assert.equal(job?.attempt, 2, "the retry ran as attempt 2");
  assert.equal(await lastQueueSeq(), 2, "the retry's one copy");

  async function lastQueueSeq(): Promise<number> {
    const info = await (await s.services.get(StreamService)).info("naq_queue_jobs");
    return info?.state.last_seq ?? 0;
  }
});
