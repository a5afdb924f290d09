/**
 * The dashboard reads back what happened before it started: the charts count the last hour's
 * stored events, and a job's page shows its stored timeline.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createDashboard } from "../../src/dashboard/mod.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";

Deno.test("a dashboard started after the jobs ran charts them and shows each job's timeline", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("before", { services });
  const ok = defineTask("ok", () => "done");
  const boom = defineTask("boom", () => {
    throw new Error("no");
  }, { attempts: 1 });
  {
    await using worker = new Worker("before", [ok, boom], {
      services,
      handleSignals: false,
      logger: silent,
      scheduler: false,
    });
    void worker.run();
    const done = await Promise.all([1, 2, 3].map(() => queue.enqueue(ok, null)));
    const failed = await queue.enqueue(boom, null);
    await Promise.all(
      [...done, failed].map((job) => job.result({ timeout: "30s" }).catch(() => {})),
    );
  }
  const [first] = await queue.listJobs({ state: "completed", limit: 1 });

  await using dashboard = createDashboard({ services });
  const page = async (path: string) => {
    const response = await dashboard.fetch(new Request(`http://127.0.0.1${path}`));
    assert.equal(response.status, 200, path);
    return await response.text();
  };
  // the replay of the hour starts with the first look at the queue
  await waitFor(
    "the charts to count the jobs run before the dashboard started",
    async () =>
      (await page("/queues/before")).includes("3 completed, 1 failed attempts in the last hour"),
  );
  const timeline = await page(`/queues/before/jobs/${first.id}`);
  // each stored event a row of its own, told apart from what the record says
  const events = [...timeline.matchAll(/<tr class="event">\s*<td>[^<]*<\/td>\s*<td>(\w+)</g)]
    .map((row) => row[1]);
  assert.deepEqual(events, ["enqueued", "active", "completed"]);
});
