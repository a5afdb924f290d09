import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { StreamService } from "../../src/services/stream_service.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";

Deno.test("retries waiting out a long backoff do not hold the queue's maxInFlight", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: { maxInFlight: 3, backoff: { type: "fixed", delay: "1h", jitter: 0 } },
  });
  // the worker's clock stands still: every retry waits for the hour to pass on it
  const clock = new ManualClock();
  await using services = new ServiceManager(config, { clock });
  // result() times out on real time, so that a broken test fails instead of hanging
  await using queue = new Queue("jobs", { config });
  const flaky = defineTask("flaky", () => {
    throw new Error("down for maintenance");
  });
  const ok = defineTask("ok", (n: number) => n);
  await using worker = new Worker("jobs", [flaky, ok], {
    services,
    concurrency: 10,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  const failing = await queue.enqueueMany(
    Array.from({ length: 6 }, () => ({ task: flaky, payload: null })),
  );
  await waitFor(
    "every flaky job to wait for its retry",
    async () => (await queue.stats()).failed === failing.length,
    30_000,
  );
  // with the retries holding the 3 in-flight slots, these would wait an hour
  const handles = await queue.enqueueMany([1, 2, 3].map((n) => ({ task: ok, payload: n })));
  assert.deepEqual(
    await Promise.all(handles.map((handle) => handle.result({ timeout: "60s" }))),
    [1, 2, 3],
  );
  const job = await queue.getJob(failing[0].id);
  assert.equal(job?.state, "failed");
  assert.equal(job.retryAt, clock.now() + 3_600_000, "its retry is due in an hour");
  const delayed = await (await services.get(StreamService)).info("naq_delayed");
  assert.equal(delayed?.state.messages, failing.length);
  // a retry waiting there can be cancelled like a delayed job
  assert.equal(await queue.cancel(failing[0].id), true);
  assert.equal((await (await services.get(StreamService)).info("naq_delayed"))?.state.messages, 5);
});
