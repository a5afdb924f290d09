/**
 * Cancelling a running job across a cluster: the producer that cancels is on one node, the
 * worker that runs the job on another, and the job ends cancelled whatever its handler does.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor, within } from "../helpers/config.ts";
import { type NatsCluster, startNatsCluster } from "../helpers/nats_server.ts";
import { onExit, waitForStats } from "../reliability/_helpers.ts";
import { silent } from "./_setup.ts";

const QUEUE = "cancellable";

/** The canceller on node 1, the worker on node 2, an observer on node 3; disposed together. */
interface Sides extends AsyncDisposable {
  /** The producer that enqueues and cancels, on n1. */
  readonly queue: Queue;
  /** The worker's own manager, on n2. */
  readonly workerServices: ServiceManager;
  /** A queue handle on n3, that neither enqueued nor runs the job. */
  readonly observer: Queue;
}

async function sides(cluster: NatsCluster): Promise<Sides> {
  const config = (i: number) => testConfig(cluster.urls[i], { streams: { replicas: 3 } });
  const producer = new ServiceManager(config(0));
  const workerServices = new ServiceManager(config(1));
  const observerServices = new ServiceManager(config(2));
  const queue = new Queue(QUEUE, { services: producer });
  const observer = new Queue(QUEUE, { services: observerServices });
  const nodes = await Promise.all(
    [producer, workerServices, observerServices].map(async (services) =>
      (await services.get(ConnectionService)).nc.getServer()
    ),
  );
  assert.equal(new Set(nodes).size, 3, `each side on a node of its own: ${nodes}`);
  // the queue's streams exist before a worker starts: a first enqueue racing a worker's start
  // on another node is the subject of a test of its own (healthy_cluster_test.ts)
  await queue.enqueue("warm-up", null).then((handle) => queue.cancel(handle.id));
  return {
    queue,
    workerServices,
    observer,
    async [Symbol.asyncDispose]() {
      await queue.close();
      await observer.close();
      for (const services of [producer, workerServices, observerServices]) await services.close();
    },
  };
}

function startWorker(services: ServiceManager, task: Parameters<typeof defineTask>[1]): Worker {
  const worker = new Worker(QUEUE, [defineTask("slow", task)], {
    services,
    concurrency: 2,
    handleSignals: false,
    logger: silent,
    shutdownTimeout: 2_000,
  });
  void worker.run();
  return worker;
}

Deno.test("cancel() on one node of a running job on another aborts ctx.signal, and the job ends cancelled", async () => {
  await using cluster = await startNatsCluster(3);
  await using env = await sides(cluster);
  const started = Promise.withResolvers<string>();
  let aborted: unknown;
  let finishedAfterAbort = false;
  await using _worker = startWorker(env.workerServices, async (_: unknown, ctx) => {
    started.resolve(ctx.jobId);
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
    aborted = ctx.signal.reason;
    finishedAfterAbort = true;
    throw ctx.signal.reason;
  });
  const handle = await env.queue.enqueue("slow", null, { attempts: 3 });
  const observed = env.observer.result(handle.id, { timeout: "30s" }).then(
    () => assert.fail("the observer's result() resolved"),
    (err) => err,
  );
  assert.equal(await within("the job to start on n2", started.promise), handle.id);
  assert.equal((await env.queue.getJob(handle.id))?.state, "active");

  assert.equal(await env.queue.cancel(handle.id), true);
  await assert.rejects(within("result() on n1", handle.result({ timeout: "30s" })), {
    code: "JOB_CANCELLED",
  });
  assert.equal((await within("result() on n3", observed)).code, "JOB_CANCELLED");
  await waitFor("the handler on n2 to see its signal abort", () => finishedAfterAbort);
  assert.match(String(aborted), /cancelled/);

  for (const [where, queue] of [["n1", env.queue], ["n3", env.observer]] as const) {
    const job = (await queue.getJob(handle.id))!;
    assert.equal(job.state, "cancelled", `getJob() on ${where}`);
    assert.equal("result" in job, false, `getJob() on ${where}`);
    assert.deepEqual(job.errors, [], `the abort is not a failed attempt, on ${where}`);
  }
  // nothing is retried, nothing is left running
  const stats = await waitForStats(
    env.queue,
    "the cancelled job to leave the queue",
    (stats) => stats.active === 0 && stats.waiting === 0,
    30_000,
  );
  assert.deepEqual(
    {
      cancelled: stats.cancelled,
      failed: stats.failed,
      dead: stats.dead,
      completed: stats.completed,
    },
    // the warm-up job of sides() is the other cancelled one
    { cancelled: 2, failed: 0, dead: 0, completed: 0 },
  );
});

Deno.test("a running job cancelled from another node whose handler ignores the signal and completes still ends cancelled", async () => {
  await using cluster = await startNatsCluster(3);
  await using env = await sides(cluster);
  const started = Promise.withResolvers<string>();
  const release = Promise.withResolvers<void>();
  let returned = false;
  await using _worker = startWorker(env.workerServices, async (_: unknown, ctx) => {
    started.resolve(ctx.jobId);
    await release.promise; // deaf to ctx.signal
    returned = true;
    return "done regardless";
  });
  using _release = onExit(() => release.resolve());
  const handle = await env.queue.enqueue("slow", null);
  assert.equal(await within("the job to start on n2", started.promise), handle.id);

  assert.equal(await env.queue.cancel(handle.id), true);
  await assert.rejects(within("result() on n1", handle.result({ timeout: "30s" })), {
    code: "JOB_CANCELLED",
  });
  // the handler finishes after the cancel: its outcome is dropped
  release.resolve();
  await waitFor("the handler to return", () => returned);
  await waitForStats(
    env.queue,
    "the worker to let go of the job",
    (stats) => stats.active === 0 && stats.waiting === 0,
    30_000,
  );
  for (const [where, queue] of [["n1", env.queue], ["n3", env.observer]] as const) {
    const job = (await queue.getJob(handle.id))!;
    assert.equal(job.state, "cancelled", `getJob() on ${where}`);
    assert.equal("result" in job, false, `what the handler returned is dropped, on ${where}`);
  }
  await assert.rejects(env.observer.result(handle.id, { timeout: "30s" }), {
    code: "JOB_CANCELLED",
  });
  const stats = await env.queue.stats();
  assert.equal(stats.completed, 0, "the late outcome did not complete it");
  assert.equal(stats.cancelled, 2, "this job and the warm-up");
});
