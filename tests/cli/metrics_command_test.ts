import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { sample, scrape } from "../metrics/_scrape.ts";
import { silent } from "../queue/_setup.ts";
import { add, fail } from "./fixtures/tasks.ts";
import { runNaq, type RunningNaq, spawnNaq } from "./_naq.ts";

/** The port a `naq metrics` or `naq worker --metrics-port 0` said it serves on. */
async function portOf(naq: RunningNaq): Promise<number> {
  const served = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/;
  await naq.waitFor(served);
  return Number(naq.stdout().match(served)![1]);
}

Deno.test("naq metrics", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const runJobs = async (name: string, adds: number, fails: number) => {
    await using queue = new Queue(name, { services });
    await using worker = new Worker(name, [add, fail], {
      services,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    const handles = [
      ...await Promise.all(Array.from({ length: adds }, () => queue.enqueue(add, { a: 1, b: 2 }))),
      ...await Promise.all(Array.from({ length: fails }, () => queue.enqueue(fail, null))),
    ];
    await Promise.all(handles.map((handle) => handle.result({ timeout: "30s" }).catch(() => {})));
  };

  await t.step(
    "--port serves the named queues' gauges, and counts outcomes from events",
    async () => {
      await using naq = await spawnNaq(server.url, ["metrics", "--port", "0", "--queue", "sums"]);
      const port = await portOf(naq);
      assert.match(naq.stdout(), /for sums; Ctrl-C to stop/);
      await runJobs("sums", 3, 2);
      const sums = { queue: "sums" };
      let metrics = await scrape(port);
      await waitFor("the exporter to count every outcome", async () => {
        metrics = await scrape(port);
        return sample(metrics, "naq_jobs_completed_total", sums) === 3 &&
          sample(metrics, "naq_jobs_dead_total", sums) === 2;
      });
      assert.equal(sample(metrics, "naq_jobs_completed_total", { ...sums, task: "add" }), 3);
      assert.equal(sample(metrics, "naq_jobs_failed_total", { ...sums, task: "fail" }), 2);
      assert.equal(sample(metrics, "naq_jobs_dead_total", { ...sums, task: "fail" }), 2);
      assert.equal(sample(metrics, "naq_jobs_retried_total", sums), 0);
      assert.equal(sample(metrics, "naq_queue_jobs", { ...sums, state: "dead" }), 2);
      assert.equal(sample(metrics, "naq_queue_jobs", { ...sums, state: "waiting" }), 0);
      assert.equal(sample(metrics, "naq_workers", sums), 0, "the jobs' worker has stopped");
      assert.equal(await naq.stop("SIGTERM"), 0);
      assert.match(naq.stdout(), /naq metrics: stopped\n$/);
    },
  );

  await t.step(
    "without --queue it shows every queue, finding new ones as it is scraped",
    async () => {
      await using naq = await spawnNaq(server.url, ["metrics", "--port", "0"]);
      const port = await portOf(naq);
      assert.match(naq.stdout(), /for every queue/);
      await using late = new Queue("late", { services });
      await late.enqueue("nobody-runs-this", null);
      const metrics = await scrape(port);
      assert.equal(sample(metrics, "naq_queue_jobs", { queue: "late", state: "waiting" }), 1);
      assert.equal(sample(metrics, "naq_queue_jobs", { queue: "sums", state: "dead" }), 2);
      // found at that scrape: its events are counted from then on
      await runJobs("late", 1, 0);
      await waitFor(
        "the exporter to count the new queue's job",
        async () => sample(await scrape(port), "naq_jobs_completed_total", { queue: "late" }) === 1,
      );
      assert.equal(await naq.stop("SIGINT"), 0);
    },
  );

  await t.step("naq worker --metrics-port serves the worker's own counts", async () => {
    await using worker = await spawnNaq(server.url, [
      "worker",
      "sums-served",
      "--tasks",
      "tasks.ts",
      "--metrics-port",
      "0",
    ]);
    const port = await portOf(worker);
    await worker.waitFor(/Ctrl-C to stop/);
    const queue = new Queue("sums-served", { services });
    await (await queue.enqueue(add, { a: 1, b: 1 })).result({ timeout: "30s" });
    await waitFor(
      "the worker to count its job",
      async () =>
        sample(await scrape(port), "naq_jobs_completed_total", { queue: "sums-served" }) === 1,
    );
    const metrics = await scrape(port);
    assert.equal(sample(metrics, "naq_job_run_seconds_count", { task: "add" }), 1);
    assert.equal(await worker.stop("SIGTERM"), 0);
  });

  await t.step("a port that is not one is a usage error", async () => {
    const out = await runNaq(server.url, ["metrics", "--port", "99999"]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Expected a port from 0 to 65535, got "99999"/);
  });
});
