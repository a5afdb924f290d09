import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { ErrorCode, isNaqError } from "../../src/errors.ts";
import { Queue } from "../../src/queue.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { type NatsCluster, startNatsCluster } from "../helpers/nats_server.ts";
import { silentLogger, waitForStats } from "./_helpers.ts";

const JOBS = 200;
const QUEUE = "replicated";

function clusterConfig(cluster: NatsCluster) {
  return testConfig(cluster.urls, { streams: { replicas: 3 }, queueDefaults: { ackWait: "2s" } });
}

/** Kills (SIGKILL) the node that leads the queue's stream; returns its name. */
async function killQueueLeader(cluster: NatsCluster, services: ServiceManager): Promise<string> {
  const streamName = wireNames(services.config.prefix).queueStream(QUEUE);
  const info = await (await services.get(StreamService)).info(streamName);
  assert.equal(info?.config.num_replicas, 3);
  const leaderName = info.cluster?.leader;
  const leader = cluster.servers.findIndex((_, i) => `n${i + 1}` === leaderName);
  assert.ok(leader >= 0, `stream leader ${leaderName} is not one of n1..n3`);
  await cluster.servers[leader].kill("SIGKILL");
  return leaderName!;
}

/**
 * A `square` task that counts its runs per job, taking `ms` per run; with a `gate`, the runs
 * after the first `gate.after` wait until it opens.
 */
function squareTask(
  runs: Map<string, number>,
  ms = 0,
  gate?: { readonly after: number; readonly open: Promise<void> },
) {
  let started = 0;
  return defineTask("square", async (payload: { index: number }, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    if (gate && ++started > gate.after) await gate.open;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return payload.index ** 2;
  });
}

/**
 * Runs a worker until every job of `ids` has completed, and closes it. A worker that does not
 * get there fails the test with what it warned of, to say where it was stuck.
 */
async function runUntilCompleted(
  config: ReturnType<typeof clusterConfig>,
  queue: Queue,
  ids: readonly string[],
  runs: Map<string, number>,
): Promise<void> {
  const warnings: string[] = [];
  const note = (level: string) => (message: string, data?: Record<string, unknown>) => {
    warnings.push(`${level} ${message} ${JSON.stringify(data ?? {})}`);
  };
  await using worker = new Worker(QUEUE, [squareTask(runs)], {
    config,
    concurrency: 20,
    scheduler: false,
    handleSignals: false,
    logger: { info() {}, warn: note("warn"), error: note("error") },
  });
  const stopped = worker.run().then(() => "returned", (err) => err);
  const outcome = await Promise.race([
    stopped.then((why) => ({ stopped: why })),
    waitForStats(
      queue,
      `all ${ids.length} jobs to complete`,
      (stats) => stats.completed === ids.length,
      60_000,
      250,
    ).catch((err) => {
      const said = warnings.slice(-10).join("\n") || "nothing";
      throw new Error(`${err.message}; the worker's last warnings: ${said}`, { cause: err });
    }),
  ]);
  if ("stopped" in outcome) assert.fail(`Worker.run() ended early: ${outcome.stopped}`);
}

async function assertAllCompleted(queue: Queue, ids: readonly string[]): Promise<void> {
  for (const [index, id] of ids.entries()) {
    const job = await queue.getJob(id);
    assert.equal(job?.state, "completed", `job ${index}`);
    assert.equal(job.result, index ** 2, `job ${index}`);
    assert.deepEqual(job.errors, [], `job ${index}`);
  }
}

Deno.test("a worker started right after the queue stream's leader is killed runs every job", async () => {
  await using cluster = await startNatsCluster(3);
  const config = clusterConfig(cluster);
  await using services = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services });
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, index) => ({ task: "square", payload: { index } })),
  );
  assert.equal((await queue.stats()).waiting, JOBS);
  const leaderName = await killQueueLeader(cluster, services);

  const runs = new Map<string, number>();
  await using worker = new Worker(QUEUE, [squareTask(runs)], {
    config,
    id: "survivor",
    concurrency: 20,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  const stopped = running.then(() => "returned", (err) => err);
  const outcome = await Promise.race([
    stopped.then((why) => ({ stopped: why })),
    waitForStats(
      queue,
      `all ${JOBS} jobs to complete after killing ${leaderName}`,
      (stats) => stats.completed === JOBS,
      45_000,
      250,
    ),
  ]);
  if ("stopped" in outcome) {
    assert.fail(
      `Worker.run() ended before the jobs were done, while the cluster re-elected the leader ` +
        `of the queue's stream (killed: ${leaderName}): ${outcome.stopped}. A worker started ` +
        `during a failover gives up instead of retrying until JetStream answers again.`,
    );
  }
  await worker.close();
  await stopped;

  await assertAllCompleted(queue, handles.map((handle) => handle.id));
  for (const [index, { id }] of handles.entries()) {
    // nothing had run before the kill, and the worker stored every outcome: one run each
    assert.equal(runs.get(id), 1, `job ${index} ran ${runs.get(id) ?? 0} times`);
    assert.equal((await queue.getJob(id))?.attempt, 1, `job ${index}`);
  }
  const after = await (await services.get(StreamService))
    .info(wireNames(config.prefix).queueStream(QUEUE));
  assert.notEqual(after?.cluster?.leader, leaderName, "a new leader took over");
  assert.equal(after?.state.messages, JOBS, "no job message is left, only the jobs' records");
});

Deno.test("a worker running when the queue stream's leader is killed carries on: no job lost", async () => {
  await using cluster = await startNatsCluster(3);
  const config = clusterConfig(cluster);
  await using services = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services });
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, index) => ({ task: "square", payload: { index } })),
  );
  const runs = new Map<string, number>();
  // the kill lands while the worker runs jobs: those past the first 30 wait for it
  const killed = Promise.withResolvers<void>();
  const gate = { after: 30, open: killed.promise };
  await using worker = new Worker(QUEUE, [squareTask(runs, 20, gate)], {
    config,
    id: "steady",
    concurrency: 10,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  const stopped = running.then(() => "returned", (err) => err);
  await waitFor("a job past the first 30 to start", () => runs.size > gate.after, 30_000);
  const leaderName = await killQueueLeader(cluster, services);
  killed.resolve();

  const outcome = await Promise.race([
    stopped.then((why) => ({ stopped: why })),
    waitForStats(
      queue,
      `all ${JOBS} jobs to complete after killing ${leaderName}`,
      (stats) => stats.completed === JOBS,
      45_000,
      250,
    ),
  ]);
  if ("stopped" in outcome) {
    assert.fail(
      `Worker.run() ended during the failover (${leaderName} killed): ${outcome.stopped}`,
    );
  }
  await worker.close();
  await stopped;

  await assertAllCompleted(queue, handles.map((handle) => handle.id));
  // delivery is at-least-once: a job whose outcome could not be stored during the election
  // runs again, but every job ran
  for (const [index, { id }] of handles.entries()) {
    assert.ok((runs.get(id) ?? 0) >= 1, `job ${index} never ran`);
  }
});

Deno.test("delayed jobs and a schedule all fire when the delayed stream's leader is killed", async () => {
  await using cluster = await startNatsCluster(3);
  const config = testConfig(cluster.urls, {
    streams: { replicas: 3 },
    queueDefaults: { ackWait: "2s" },
    scheduler: { lease: "2s" },
  });
  await using services = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services });
  const start = Date.now() + 4_000;
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, index) => ({
      task: "square",
      payload: { index },
      options: { runAt: start + index * 20 },
    })),
  );
  await queue.schedule("beat", "square", { index: 0 }, { every: 250 }, {
    startAt: start,
    repeat: 20,
  });
  // started once the streams exist: creating seven replicated streams at once on two cores
  // can take longer than a JetStream request's timeout
  const runs = new Map<string, number>();
  await using worker = new Worker(QUEUE, [squareTask(runs)], {
    config,
    concurrency: 20,
    handleSignals: false,
    logger: silentLogger,
  });
  void worker.run();
  // delayed jobs wait in the queue's stream, as schedules the server fires
  const info = await (await services.get(StreamService)).info(
    wireNames(config.prefix).queueStream(QUEUE),
  );
  assert.equal(info?.config.num_replicas, 3);
  const leader = cluster.servers.findIndex((_, i) => `n${i + 1}` === info.cluster?.leader);
  await new Promise((resolve) => setTimeout(resolve, start + 1_000 - Date.now()));
  await cluster.servers[leader].kill("SIGKILL");

  await waitForStats(
    queue,
    `all ${JOBS} delayed jobs and 20 firings to complete after killing n${leader + 1}`,
    (stats) => stats.completed === JOBS + 20,
    60_000,
    250,
  );
  await assertAllCompleted(queue, handles.map((handle) => handle.id));
  // every firing is a job of its own, once (the counts above); delivery is at-least-once, so
  // a job whose outcome could not be stored during the election runs again
  for (const [index, { id }] of handles.entries()) {
    assert.ok((runs.get(id) ?? 0) >= 1, `job ${index} never ran`);
  }
});

Deno.test("an enqueue while the queue stream elects a new leader waits for it: no job lost", async () => {
  await using cluster = await startNatsCluster(3);
  const config = clusterConfig(cluster);
  await using services = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services });
  const first = await queue.enqueue("square", { index: 0 }); // creates the stream
  await killQueueLeader(cluster, services);

  // at once: the stream has no leader for seconds, and the enqueue waits for the next one
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, i) => ({ task: "square", payload: { index: i + 1 } })),
  );
  const ids = [first.id, ...handles.map((handle) => handle.id)];
  assert.equal((await queue.stats()).waiting, JOBS + 1);
  const runs = new Map<string, number>();
  await runUntilCompleted(config, queue, ids, runs);
  await assertAllCompleted(queue, ids);
});

Deno.test("an enqueue to a stream that cannot elect a leader fails with UNAVAILABLE once the wait is over", async () => {
  await using cluster = await startNatsCluster(3);
  // the enqueue waits on this clock, which the test moves on instead of waiting 30 s
  const clock = new ManualClock(Date.now());
  await using services = new ServiceManager(clusterConfig(cluster), { clock });
  await using queue = new Queue(QUEUE, { services });
  await queue.enqueue("square", { index: 0 });
  // two of its three servers gone: the stream has no quorum, and no leader
  const connectedTo = (await services.get(ConnectionService)).nc.getServer();
  const others = cluster.servers.filter((server) => !server.url.endsWith(connectedTo));
  assert.equal(others.length, 2, `the client is on one of the nodes (${connectedTo})`);
  await Promise.all(others.map((server) => server.kill("SIGKILL")));

  const PENDING = Symbol("pending");
  let outcome: unknown = PENDING;
  queue.enqueue("square", { index: 1 }).then((handle) => (outcome = handle), (err) => {
    outcome = err;
  });
  await waitFor("the enqueue to give up", () => {
    if (outcome === PENDING) clock.advance(1_000);
    return outcome !== PENDING;
  }, 120_000);
  assert.ok(isNaqError(outcome, ErrorCode.Unavailable), `not a naq error: ${outcome}`);
  const stream = wireNames(services.config.prefix).queueStream(QUEUE);
  // the last attempt found no responders, or timed out on its way to the dead servers
  assert.match(outcome.message, new RegExp(`stream ${stream} took nothing for \\d+ s, as `));
});
