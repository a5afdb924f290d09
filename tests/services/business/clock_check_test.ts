/**
 * A worker or scheduler whose clock disagrees with the server's says so, from the server's
 * stamp on its first registry entry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Queue } from "../../../src/queue.ts";
import { Scheduler } from "../../../src/scheduler.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { defineTask } from "../../../src/task.ts";
import { Worker, type WorkerLogger } from "../../../src/worker.ts";
import { testConfig, waitFor } from "../../helpers/config.ts";
import { ManualClock } from "../../helpers/manual_clock.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

function warnings(): { logger: WorkerLogger; said: string[] } {
  const said: string[] = [];
  return { said, logger: { info() {}, warn: (message) => said.push(message), error() {} } };
}

/** Runs a worker on `services` until it warns of its clock; returns that warning. */
async function workerClockWarning(services: ServiceManager, id: string): Promise<string> {
  const { logger, said } = warnings();
  const worker = new Worker("skewed", [defineTask("noop", () => {})], {
    services,
    id,
    handleSignals: false,
    scheduler: false,
    logger,
  });
  const running = worker.run();
  await waitFor("the clock warning", () => said.some((line) => line.includes("clock")));
  await worker.close();
  await running;
  return said.find((line) => line.includes("clock"))!;
}

Deno.test("a worker whose clock is 90 s ahead of the server's warns that its delays fire late and its schedules early", async () => {
  await using server = await startNatsServer();
  // real time 90 s on: the process's clock as naq reads it
  const clock = new ManualClock(Date.now() + 90_000);
  await using services = new ServiceManager(testConfig(server.url), { clock });
  const warning = await workerClockWarning(services, "ahead");
  assert.match(
    warning,
    /^naq worker ahead: this process's clock is (8\d|9\d) s ahead of nats-server's/,
  );
  assert.match(
    warning,
    /delays and retries set here fire up to \d+ s late, schedules fired here up to \d+ s early\. Keep every host's clock in sync/,
  );
});

Deno.test("a scheduler whose clock is 2 minutes behind the server's warns that schedules fire late and delays early", async () => {
  await using server = await startNatsServer();
  const clock = new ManualClock(Date.now() - 120_000);
  await using services = new ServiceManager(testConfig(server.url), { clock });
  const { logger, said } = warnings();
  const scheduler = new Scheduler({ services, id: "behind", handleSignals: false, logger });
  const running = scheduler.run();
  await waitFor("the clock warning", () => said.some((line) => line.includes("clock")));
  assert.ok(
    said.some((line) =>
      /^naq scheduler behind: this process's clock is 1[12]\d s behind/.test(line)
    ),
    said.join("\n"),
  );
  await scheduler.close();
  await running;
});

Deno.test("a delay set by a process whose clock is ahead fires late, as its warning says", async () => {
  await using server = await startNatsServer();
  const skewMs = 6_000;
  // the producer's clock is ahead; the worker's is right
  await using producer = new ServiceManager(testConfig(server.url), {
    clock: new ManualClock(Date.now() + skewMs),
  });
  await using services = new ServiceManager(testConfig(server.url));
  const task = defineTask("noop", () => "ran");
  const warning = await workerClockWarning(producer, "ahead");
  assert.match(warning, /delays and retries set here fire up to \d+ s late/);

  await using queue = new Queue("skewed", { services: producer });
  await using runner = new Worker("skewed", [task], {
    services,
    handleSignals: false,
    scheduler: false,
    logger: { info() {}, warn() {}, error: console.error },
  });
  void runner.run();
  // real time: the server fires the delay on its clock, which is the point of this test
  const enqueuedAt = Date.now();
  const job = await queue.enqueue(task, null, { delay: 1 });
  assert.equal(await job.result({ timeout: "30s" }), "ran");
  assert.ok(Date.now() - enqueuedAt >= skewMs - 1_000, "the delay fired late by the skew");
});
