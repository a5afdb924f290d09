/**
 * `result()` waiters outlive a restart of the server: the jobs they wait on were running
 * when it went down, and complete once it is back; every waiter resolves, and any error
 * that does surface is naq's, with a code, never a raw nats.js one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { isNaqError } from "../../src/errors.ts";
import { Queue } from "../../src/queue.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor, within } from "../helpers/config.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";
import { subscriptions } from "../queue/_setup.ts";
import { silentLogger, waitForAllAcknowledged } from "./_helpers.ts";

const QUEUE = "restart";
const JOBS = 6;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function settle(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
}

/** Fails, naming each waiter that did not resolve with `expected[i]`, and what it got. */
function assertResolved(what: string, outcomes: Outcome[], expected: unknown[]): void {
  const problems = outcomes.flatMap((outcome, i) => {
    if (!outcome.ok) {
      const { error } = outcome;
      const kind = isNaqError(error)
        ? `naq error ${error.code}`
        : `an error that is not naq's (no code): ${(error as Error)?.name}`;
      return [`${what} ${i}: rejected with ${kind}: ${error}`];
    }
    return outcome.value === expected[i]
      ? []
      : [`${what} ${i}: resolved with ${JSON.stringify(outcome.value)}`];
  });
  assert.deepEqual(problems, [], `after the restart:\n${problems.join("\n")}`);
}

/** Fails when any waiter rejected with something that is not a naq error with a code. */
function assertOnlyNaqErrors(what: string, outcomes: Outcome[]): void {
  const foreign = outcomes.flatMap((outcome, i) =>
    !outcome.ok && !isNaqError(outcome.error)
      ? [`${what} ${i}: ${(outcome.error as Error)?.name}: ${outcome.error}`]
      : []
  );
  assert.deepEqual(foreign, [], `errors without a naq code surfaced:\n${foreign.join("\n")}`);
}

/**
 * `JOBS` jobs of `queue`, running on one worker on `services` and held there until
 * `open()`; disposing opens them and closes the worker.
 */
async function runningJobs(queue: Queue, services: ServiceManager) {
  const gate = Promise.withResolvers<void>();
  const started = new Set<string>();
  const gated = defineTask("gated", async (payload: { index: number }, ctx) => {
    started.add(ctx.jobId);
    await gate.promise;
    return payload.index * 10;
  });
  const worker = new Worker(QUEUE, [gated], {
    services,
    concurrency: JOBS,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  const handles = await queue.enqueueMany(
    Array.from({ length: JOBS }, (_, index) => ({ task: gated, payload: { index } })),
  );
  await waitFor(`all ${JOBS} jobs to start`, () => started.size === JOBS);
  return {
    handles,
    open: () => gate.resolve(),
    async [Symbol.asyncDispose]() {
      gate.resolve();
      await worker.close();
      await running;
    },
  };
}

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  Deno.test(`result() waiters of running jobs resolve after the server restarts (${signal})`, async () => {
    await using server = await startNatsServer();
    const config = testConfig(server.url);
    await using producer = new ServiceManager(config);
    // another process's producer, waiting by id on jobs it did not enqueue
    await using observer = new ServiceManager(config);
    await using workerServices = new ServiceManager(config);
    await using queue = new Queue(QUEUE, { services: producer });
    await using observed = new Queue(QUEUE, { services: observer });
    await observed.stats(); // connected, with its services, before anything happens

    await using jobs = await runningJobs(queue, workerServices);
    const { handles } = jobs;
    const expected = handles.map((_, index) => index * 10);
    // the waiters are pending when the server goes: on the handles, and by id elsewhere
    const ownWaiters = handles.map((handle) => settle(handle.result({ timeout: "60s" })));
    const foreignWaiters = handles.map((handle) =>
      settle(observed.result(handle.id, { timeout: "60s" }))
    );
    // a waiter that is not the job's producer follows the job's subjects: once the server
    // has those subscriptions, every waiter is in place
    await waitFor("the observer's waiters to follow their jobs", async () => {
      const subjects = await subscriptions(server);
      return handles.every((handle) => subjects.some((subject) => subject.includes(handle.id)));
    });

    await restart(server, signal);
    // the jobs complete once the server is back: the worker stores each outcome then
    jobs.open();

    const own = await within("the producer's waiters", Promise.all(ownWaiters), 90_000);
    const foreign = await within("the observer's waiters", Promise.all(foreignWaiters), 90_000);
    assertOnlyNaqErrors("handle.result()", own);
    assertOnlyNaqErrors("queue.result(id) from another producer", foreign);
    assertResolved("handle.result()", own, expected);
    assertResolved("queue.result(id) from another producer", foreign, expected);

    for (const [index, handle] of handles.entries()) {
      const job = await queue.getJob(handle.id);
      assert.equal(job?.state, "completed", `job ${index}`);
      assert.equal(job.result, index * 10, `job ${index}`);
    }
    await waitForAllAcknowledged(server, QUEUE);
  });
}

Deno.test("a result() called while the server is down waits for it to come back", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url);
  await using producer = new ServiceManager(config);
  await using workerServices = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services: producer });

  await using jobs = await runningJobs(queue, workerServices);
  const { handles } = jobs;

  await server.kill("SIGKILL");
  // asked for while nothing answers: on the handles, and by id
  const ownWaiters = handles.map((handle) => settle(handle.result({ timeout: "60s" })));
  const byId = handles.map((handle) => settle(queue.result(handle.id, { timeout: "60s" })));
  await server.restart();
  jobs.open();

  const expected = handles.map((_, index) => index * 10);
  const own = await within("the waiters on the handles", Promise.all(ownWaiters), 90_000);
  const ids = await within("the waiters by id", Promise.all(byId), 90_000);
  assertOnlyNaqErrors("handle.result()", own);
  assertOnlyNaqErrors("queue.result(id)", ids);
  assertResolved("handle.result()", own, expected);
  assertResolved("queue.result(id)", ids, expected);
});

Deno.test("a result() by id from a connected producer whose first call comes while the server is down waits for it", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url);
  await using producer = new ServiceManager(config);
  // connected, but it has not asked JetStream anything yet: a process that has just started
  await using observer = new ServiceManager(config);
  await observer.get(ConnectionService);
  await using workerServices = new ServiceManager(config);
  await using queue = new Queue(QUEUE, { services: producer });
  await using observed = new Queue(QUEUE, { services: observer });

  await using jobs = await runningJobs(queue, workerServices);
  const { handles } = jobs;

  await server.kill("SIGKILL");
  const waiters = handles.map((handle) => settle(observed.result(handle.id, { timeout: "60s" })));
  await server.restart();
  jobs.open();

  const outcomes = await within("the waiters", Promise.all(waiters), 90_000);
  assertOnlyNaqErrors("queue.result(id)", outcomes);
  assertResolved("queue.result(id)", outcomes, handles.map((_, index) => index * 10));
});

/** Stops the server with `signal` and starts it again on the same port and store. */
async function restart(server: NatsServer, signal: Deno.Signal): Promise<void> {
  await server.kill(signal);
  await server.restart();
}
