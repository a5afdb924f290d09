/**
 * On a healthy 3-node cluster with every stream replicated three times, nothing failing, a
 * producer that enqueues a job and waits for it sees its result every time, and reads the job
 * back as completed at once: a replica that lags must never answer a read that has to see a
 * write.
 *
 * @module
 */
import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { type NatsCluster, startNatsCluster } from "../helpers/nats_server.ts";
import { silentLogger } from "./_helpers.ts";

const JOBS = 300;
const QUEUE = "healthy";
// stop early once this many jobs went wrong: the report names them, and a test that has
// failed need not wait 20 s for each of the rest
const MAX_REPORTED = 5;

const square = defineTask("square", (payload: { index: number }) => payload.index ** 2);

function clusterConfig(urls: string | readonly string[]) {
  return testConfig(urls, { streams: { replicas: 3 } });
}

/** The node's name (`n1`..`n3`) a manager's connection is on. */
async function nodeOf(cluster: NatsCluster, services: ServiceManager): Promise<string> {
  const url = (await services.get(ConnectionService)).nc.getServer();
  const index = cluster.servers.findIndex((server) => server.url.endsWith(url));
  assert.ok(index >= 0, `connected to ${url}, which is not a node of the cluster`);
  return `n${index + 1}`;
}

/**
 * Enqueues `JOBS` jobs one after another, each waited on with `result()` and read back with
 * `getJob()` straight after, and fails with every job that went wrong.
 */
async function runSequentially(queue: Queue, waiter?: Queue): Promise<void> {
  const problems: string[] = [];
  for (let index = 0; index < JOBS && problems.length < MAX_REPORTED; index++) {
    const handle = await queue.enqueue(square, { index });
    let result: unknown;
    try {
      result = waiter
        ? await waiter.result(handle.id, { timeout: "20s" })
        : await handle.result({ timeout: "20s" });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      problems.push(`job ${index} (${handle.id}): result() threw ${err} (code ${code})`);
      continue;
    }
    if (result !== index ** 2) {
      problems.push(`job ${index} (${handle.id}): result() gave ${JSON.stringify(result)}`);
      continue;
    }
    // read-your-write: the outcome result() reported is what a read right after it sees
    const job = await (waiter ?? queue).getJob(handle.id);
    if (job?.state !== "completed" || job.result !== index ** 2) {
      problems.push(
        `job ${index} (${handle.id}): getJob() right after result() shows ` +
          (job ? `state ${job.state}` : "null"),
      );
    }
  }
  assert.deepEqual(
    problems,
    [],
    `of ${JOBS} sequential jobs on a healthy R3 cluster, these went wrong ` +
      `(stopped after ${MAX_REPORTED}):\n${problems.join("\n")}`,
  );
}

function startWorker(services: ServiceManager): Worker {
  const worker = new Worker(QUEUE, [square], {
    services,
    concurrency: 8,
    handleSignals: false,
    logger: silentLogger,
  });
  void worker.run();
  return worker;
}

Deno.test("on a healthy R3 cluster, 300 sequential jobs each resolve result() and read back completed", async () => {
  await using cluster = await startNatsCluster(3);
  await using services = new ServiceManager(clusterConfig(cluster.urls));
  await using queue = new Queue(QUEUE, { services });
  await using _worker = startWorker(services);
  await runSequentially(queue);
  const stats = await queue.stats();
  assert.equal(stats.completed, JOBS);
  assert.equal(stats.waiting + stats.active + stats.failed + stats.dead, 0);
});

/**
 * Makes the queue's stream and returns the nodes: the two that do not lead it, then its
 * leader.
 */
async function spreadOut(cluster: NatsCluster): Promise<NatsCluster["servers"][number][]> {
  const streamName = wireNames("naq").queueStream(QUEUE);
  await using setupServices = new ServiceManager(clusterConfig(cluster.urls));
  await using setupQueue = new Queue(QUEUE, { services: setupServices });
  await setupQueue.enqueue("warm-up", null).then((handle) => setupQueue.cancel(handle.id));
  const info = await (await setupServices.get(StreamService)).info(streamName);
  assert.equal(info?.config.num_replicas, 3);
  const leader = info.cluster?.leader;
  const followers = cluster.servers.filter((_, i) => `n${i + 1}` !== leader);
  const leading = cluster.servers.filter((_, i) => `n${i + 1}` === leader);
  assert.equal(followers.length, 2, `stream leader ${leader} is one of n1..n3`);
  return [...followers, ...leading];
}

Deno.test("on a healthy R3 cluster, a producer on one node and a worker on another: 300 sequential jobs all resolve", async () => {
  await using cluster = await startNatsCluster(3);
  // the stream exists before anyone picks a node: the producer and the worker then each take
  // a node that does not lead it, so every write and read crosses the cluster
  const [first, second, leader] = await spreadOut(cluster);
  const followers = [first, second];
  await using producer = new ServiceManager(clusterConfig(followers[0].url));
  await using workerServices = new ServiceManager(clusterConfig(followers[1].url));
  await using queue = new Queue(QUEUE, { services: producer });
  await using _worker = startWorker(workerServices);
  const [producerNode, workerNode] = [
    await nodeOf(cluster, producer),
    await nodeOf(cluster, workerServices),
  ];
  assert.notEqual(producerNode, workerNode, "the producer and the worker are on different nodes");
  assert.notEqual(producerNode, nodeName(cluster, leader), "the producer is not on the leader");

  await runSequentially(queue);
  const stats = await queue.stats();
  assert.equal(stats.completed, JOBS);
  assert.equal(stats.waiting + stats.active + stats.failed + stats.dead, 0);
});

Deno.test("on a healthy R3 cluster, 300 sequential jobs each awaited by id from a third node resolve and read back completed", async () => {
  await using cluster = await startNatsCluster(3);
  // the worker and the observer on the nodes that do not lead the stream
  const [workerNode, observerNode, producerNode] = await spreadOut(cluster);
  await using producer = new ServiceManager(clusterConfig(producerNode.url));
  await using workerServices = new ServiceManager(clusterConfig(workerNode.url));
  await using observer = new ServiceManager(clusterConfig(observerNode.url));
  await using queue = new Queue(QUEUE, { services: producer });
  await using watching = new Queue(QUEUE, { services: observer });
  await using _worker = startWorker(workerServices);
  const nodes = await Promise.all(
    [producer, workerServices, observer].map((services) => nodeOf(cluster, services)),
  );
  assert.equal(new Set(nodes).size, 3, `three nodes: ${nodes}`);
  // the waiter did not enqueue the jobs: it follows each job's messages and reads it back
  await runSequentially(queue, watching);
});

function nodeName(cluster: NatsCluster, server: NatsCluster["servers"][number]): string {
  return `n${cluster.servers.indexOf(server) + 1}`;
}

Deno.test("on a fresh healthy R3 cluster, a first enqueue while a worker starts on another node stores the job", async () => {
  // a race, so three fresh clusters: each time, the producer and the worker create the queue's
  // streams at the same moment
  for (let round = 1; round <= 3; round++) {
    await using cluster = await startNatsCluster(3);
    await using producer = new ServiceManager(clusterConfig(cluster.urls[0]));
    await using workerServices = new ServiceManager(clusterConfig(cluster.urls[1]));
    await using queue = new Queue(QUEUE, { services: producer });
    await using _worker = startWorker(workerServices);
    const handle = await queue.enqueue(square, { index: 3 }).catch((err) => {
      const code = (err as { code?: unknown }).code;
      assert.fail(
        `round ${round}: the first enqueue failed with ${err} (name ${err?.name}, code ${code})`,
      );
    });
    assert.equal(await handle.result({ timeout: "20s" }), 9, `round ${round}`);
  }
});
