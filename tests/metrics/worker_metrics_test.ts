/**
 * A worker given `metrics` serves Prometheus text at /metrics whose counters and histograms
 * match the jobs it ran, and gauges of its queue from the server's counts.
 */
import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { GAUGE_CACHE_MS } from "../../src/metrics/queue_gauges.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { setup, silent } from "../queue/_setup.ts";
import { sample, scrape } from "./_scrape.ts";

const ok = defineTask("ok", () => "fine");
const boom = defineTask("boom", () => {
  throw new Error("it went boom");
}, { attempts: 2 });

Deno.test("a worker's /metrics counts the jobs it ran, times their runs and shows its queue", async () => {
  await using env = await setup();
  await using worker = new Worker("jobs", [ok, boom], {
    services: env.services,
    handleSignals: false,
    logger: silent,
    metrics: { port: 0 },
  });
  void worker.run();
  await waitFor("the metrics endpoint", () => worker.metricsPort !== undefined);
  const port = worker.metricsPort!;
  // registered before the first scrape, which the gauges then keep a few seconds
  await waitFor(
    "the worker's registry entry",
    async () => (await env.queue.workers()).length === 1,
  );

  const handles = [
    ...await Promise.all([1, 2, 3].map(() => env.queue.enqueue(ok, null))),
    ...await Promise.all([1, 2].map(() => env.queue.enqueue(boom, null))),
  ];
  await Promise.all(handles.map((handle) => handle.result({ timeout: "30s" }).catch(() => {})));
  const jobs = { queue: "jobs" };
  // counted once each outcome is stored, just after the producer heard of it
  let metrics = await scrape(port);
  await waitFor("every outcome counted", async () => {
    metrics = await scrape(port);
    return sample(metrics, "naq_jobs_completed_total", jobs) === 3 &&
      sample(metrics, "naq_jobs_dead_total", jobs) === 2;
  });

  const okJobs = { ...jobs, task: "ok" };
  const boomJobs = { ...jobs, task: "boom" };
  assert.equal(metrics.get("naq_jobs_completed_total")?.type, "COUNTER");
  assert.equal(sample(metrics, "naq_jobs_completed_total", okJobs), 3);
  assert.equal(sample(metrics, "naq_jobs_completed_total", boomJobs), 0);
  assert.equal(sample(metrics, "naq_jobs_failed_total", boomJobs), 4, "two attempts each");
  assert.equal(sample(metrics, "naq_jobs_retried_total", boomJobs), 2);
  assert.equal(sample(metrics, "naq_jobs_dead_total", boomJobs), 2);
  assert.equal(sample(metrics, "naq_jobs_cancelled_total", jobs), 0);
  for (const name of ["naq_job_run_seconds", "naq_job_wait_seconds"]) {
    assert.equal(metrics.get(name)?.type, "HISTOGRAM");
    const count = `${name}_count`;
    assert.equal(sample(metrics, count, okJobs), 3, `${name}: one per run of ok`);
    assert.equal(sample(metrics, count, boomJobs), 4, `${name}: one per run of boom`);
  }
  // the gauges read the server's counts: the dead jobs' records are kept
  assert.equal(metrics.get("naq_queue_jobs")?.type, "GAUGE");
  assert.equal(sample(metrics, "naq_queue_jobs", { ...jobs, state: "dead" }), 2);
  assert.equal(sample(metrics, "naq_queue_jobs", { ...jobs, state: "waiting" }), 0);
  assert.equal(sample(metrics, "naq_queue_jobs", { ...jobs, state: "active" }), 0);
  assert.equal(sample(metrics, "naq_workers", jobs), 1, "from the worker registry");

  const elsewhere = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(elsewhere.status, 404);
  await elsewhere.body?.cancel();
  await worker.close();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), "closed with the worker");
});

Deno.test("the queue gauges come from the server's counts, read again once a few seconds passed", async () => {
  const clock = new ManualClock();
  await using env = await setup({ clock });
  // no worker takes these: they wait
  await env.queue.enqueue("later", null);
  await env.queue.enqueue("later", null, { delay: "1h" });
  await using worker = new Worker("jobs", [ok], {
    services: env.services,
    handleSignals: false,
    logger: silent,
    metrics: { port: 0 },
  });
  await env.queue.pause();
  void worker.run();
  await waitFor("the metrics endpoint", () => worker.metricsPort !== undefined);
  const waiting = async () =>
    sample(await scrape(worker.metricsPort!), "naq_queue_jobs", {
      queue: "jobs",
      state: "waiting",
    });
  const metrics = await scrape(worker.metricsPort!);
  assert.equal(sample(metrics, "naq_queue_jobs", { queue: "jobs", state: "waiting" }), 1);
  assert.equal(sample(metrics, "naq_queue_jobs", { queue: "jobs", state: "delayed" }), 1);
  // scraped again within the cache's few seconds: the same reading, without asking the server
  await env.queue.enqueue("later", null);
  assert.equal(await waiting(), 1);
  clock.advance(GAUGE_CACHE_MS);
  assert.equal(await waiting(), 2);
});

Deno.test("a worker refuses metrics on a port that is not one, saying which", () => {
  assert.throws(
    () =>
      new Worker("jobs", [ok], {
        config: testConfig("nats://127.0.0.1:4222"),
        metrics: { port: 70_000 },
      }),
    /Cannot serve metrics on port 70000: a port is an integer from 0 to 65535/,
  );
});

Deno.test("a worker without metrics serves nothing", async () => {
  await using env = await setup();
  await using worker = new Worker("jobs", [ok], {
    services: env.services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  await (await env.queue.enqueue(ok, null)).result({ timeout: "30s" });
  assert.equal(worker.metricsPort, undefined);
});

Deno.test("a worker closed while its metrics load leaves no server listening", async () => {
  await using env = await setup();
  const worker = new Worker("jobs", [ok], {
    services: env.services,
    handleSignals: false,
    logger: silent,
    metrics: { port: 0 },
  });
  const running = worker.run();
  await worker.close();
  await running;
  assert.equal(worker.metricsPort, undefined);
});
