import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "./_setup.ts";

Deno.test("retries waiting out a long backoff do not hold the queue's maxInFlight", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: { maxInFlight: 3, backoff: { type: "fixed", delay: "1h", jitter: 0 } },
  });
  // the server fires each retry when its hour has passed on the server's clock
  await using services = new ServiceManager(config);
  await using queue = new Queue("jobs", { services });
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
  const inAnHour = Date.now() + 3_600_000;
  assert.ok(Math.abs(job.retryAt! - inAnHour) < 60_000, "its retry is due in an hour");
  // a retry waiting as a schedule can be cancelled like a delayed job
  assert.equal(await queue.cancel(failing[0].id), true);
  assert.equal((await queue.stats()).failed, failing.length - 1);
  assert.equal((await queue.stats()).cancelled, 1);
});
