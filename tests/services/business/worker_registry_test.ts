import assert from "node:assert/strict";
import denoJson from "../../../deno.json" with { type: "json" };
import { wireNames } from "../../../src/core/names.ts";
import type { WorkerEntry } from "../../../src/core/worker_entry.ts";
import { Queue } from "../../../src/queue.ts";
import { Scheduler } from "../../../src/scheduler.ts";
import { WorkerRegistry } from "../../../src/services/business/worker_registry.ts";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { defineTask } from "../../../src/task.ts";
import { Worker, type WorkerLogger } from "../../../src/worker.ts";
import { testConfig, waitFor } from "../../helpers/config.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";
import { silent } from "../../queue/_setup.ts";

/** A task whose jobs run until the test releases them by id. */
function heldTask() {
  const holds = new Map<string, () => void>();
  const task = defineTask("hold", (_payload: null, ctx) =>
    new Promise<void>((resolve) => {
      holds.set(ctx.jobId, resolve);
    }));
  return { task, release: (jobId: string) => holds.get(jobId)?.() };
}

const HEARTBEAT = { worker: { heartbeat: "1s" } } as const;

/** Waits until the registry's entry for `id` satisfies `check`, and returns it. */
async function entryWhen(
  registry: WorkerRegistry,
  id: string,
  what: string,
  check: (entry: WorkerEntry) => boolean,
): Promise<WorkerEntry> {
  let found: WorkerEntry | undefined;
  await waitFor(what, async () => {
    found = (await registry.list()).find((entry) => entry.id === id);
    return found !== undefined && check(found);
  });
  return found!;
}

Deno.test("a worker's entry says who it is and what it runs; queue.workers() lists the queue's", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url, HEARTBEAT));
  const registry = await services.get(WorkerRegistry);
  const queue = new Queue("reg-a", { services });
  const { task, release } = heldTask();
  const worker = new Worker(["reg-a", "reg-c"], [task], {
    services,
    id: "w-api",
    concurrency: 2,
    handleSignals: false,
    logger: silent,
    scheduler: false,
  });
  const running = worker.run();
  await queue.enqueue("hold", null, { jobId: "h1" });

  const [entry] = await (async () => {
    await waitFor("the worker to show job h1", async () => {
      const [first] = await queue.workers();
      return first?.running.length === 1;
    });
    return await queue.workers();
  })();
  const { startedAt, heartbeatAt, running: [job], ...rest } = entry;
  assert.deepEqual(rest, {
    id: "w-api",
    kind: "worker",
    host: Deno.hostname(),
    pid: Deno.pid,
    queues: ["reg-a", "reg-c"],
    tasks: ["hold"],
    concurrency: 2,
    version: denoJson.version,
    state: "running",
  });
  assert.deepEqual({ ...job, since: typeof job.since }, {
    jobId: "h1",
    queue: "reg-a",
    task: "hold",
    since: "number",
  });
  assert.ok(startedAt <= job.since && job.since <= heartbeatAt, JSON.stringify(entry));
  assert.equal((await queue.getJob("h1"))?.startedAt, job.since);
  assert.deepEqual(await new Queue("reg-b", { services }).workers(), []);
  assert.deepEqual((await registry.list({ queue: "reg-c" })).map((e) => e.id), ["w-api"]);

  // paused only when every queue it serves is
  await queue.pause();
  await new Queue("reg-c", { services }).pause();
  await entryWhen(registry, "w-api", "the entry to say paused", (e) => e.state === "paused");
  await queue.resume();
  await entryWhen(registry, "w-api", "the entry to say running", (e) => e.state === "running");

  const closing = worker.close();
  await entryWhen(registry, "w-api", "the entry to say draining", (e) => e.state === "draining");
  release("h1");
  await closing;
  await running;
  // gone as soon as close() resolved, not after a heartbeat or two
  assert.equal(await registry.get("worker", "w-api"), null);
  assert.deepEqual(await registry.list(), []);
});

Deno.test("a scheduler replica has an entry of its own, listed after the workers, removed when it stops", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url, HEARTBEAT));
  const registry = await services.get(WorkerRegistry);
  const queue = new Queue("reg-s", { services });
  const worker = new Worker("reg-s", [heldTask().task], {
    services,
    id: "w-s",
    handleSignals: false,
    logger: silent,
    scheduler: false,
  });
  const scheduler = new Scheduler({ services, id: "s-api", handleSignals: false, logger: silent });
  // the scheduler starts first, and is listed last all the same
  const schedulerRun = scheduler.run();
  await entryWhen(registry, "s-api", "the scheduler's entry", () => true);
  const workerRun = worker.run();
  await entryWhen(registry, "w-s", "the worker's entry", () => true);

  const entries = await registry.list();
  assert.deepEqual(entries.map((e) => [e.kind, e.id]), [["worker", "w-s"], ["scheduler", "s-api"]]);
  const { startedAt: _s, heartbeatAt: _h, ...rest } = entries[1];
  assert.deepEqual(rest, {
    id: "s-api",
    kind: "scheduler",
    host: Deno.hostname(),
    pid: Deno.pid,
    queues: [],
    tasks: [],
    concurrency: 0,
    running: [],
    version: denoJson.version,
    state: "running",
  });
  assert.deepEqual((await queue.workers()).map((e) => e.id), ["w-s"]);

  await scheduler.close();
  await schedulerRun;
  assert.equal(await registry.get("scheduler", "s-api"), null);
  await worker.close();
  await workerRun;
  assert.deepEqual(await registry.list(), []);
});

Deno.test("a registry that refuses the writes is warned of once, runs every job, and is joined at a later heartbeat", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(
    testConfig(server.url, { ...HEARTBEAT, prefix: "refusing" }),
  );
  // the bucket's stream exists, and takes no entry: as a bucket without a leader does not
  const jsm = await (await services.get(ConnectionService)).jetstreamManager();
  const bucket = wireNames("refusing").workersBucket;
  const stream = await jsm.streams.add({
    name: `KV_${bucket}`,
    subjects: [`$KV.${bucket}.>`],
    max_msgs_per_subject: 1,
    allow_rollup_hdrs: true,
    allow_msg_ttl: true,
    max_msg_size: 16,
  });
  const said: { level: string; message: string }[] = [];
  const logger: WorkerLogger = {
    info: (message) => said.push({ level: "info", message }),
    warn: (message) => said.push({ level: "warn", message }),
    error: (message) => said.push({ level: "error", message }),
  };
  const add = defineTask("add", (payload: { a: number; b: number }) => payload.a + payload.b);
  const worker = new Worker("reg-r", [add], {
    services,
    id: "w-r",
    handleSignals: false,
    logger,
    scheduler: false,
  });
  const running = worker.run();
  const queue = new Queue("reg-r", { services });
  assert.equal(await (await queue.enqueue(add, { a: 2, b: 3 })).result({ timeout: "30s" }), 5);
  await waitFor("the warning", () => said.some((line) => line.level === "warn"));
  assert.deepEqual(said.filter((line) => line.level !== "info"), [{
    level: "warn",
    message: "naq worker w-r: cannot register in the worker registry; it goes on, and tries " +
      "again every heartbeat",
  }]);
  const registry = await services.get(WorkerRegistry);
  assert.deepEqual(await registry.list(), []);

  await jsm.streams.update(stream.config.name, { ...stream.config, max_msg_size: -1 });
  await entryWhen(registry, "w-r", "the entry, at a heartbeat after the fix", () => true);
  await waitFor(
    "the worker to say so",
    () => said.some((line) => /registered again/.test(line.message)),
  );
  // it warned once, not at every heartbeat that failed
  assert.equal(said.filter((line) => line.level === "warn").length, 1);
  await worker.close();
  await running;
  assert.equal(await registry.get("worker", "w-r"), null);
});

Deno.test("a worker closed before it runs leaves no registry entry behind", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url, HEARTBEAT));
  const registry = await services.get(WorkerRegistry);
  const worker = new Worker("jobs", [], { services, handleSignals: false, logger: silent });
  await worker.close();
  await worker.run(); // nothing to run: it was closed
  assert.deepEqual((await registry.list()).map((entry) => entry.id), []);
});
