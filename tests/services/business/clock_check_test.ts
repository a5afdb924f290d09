/**
 * A worker or scheduler whose clock disagrees with the server's says so, from the server's
 * stamp on its first registry entry.
 *
 * @module
 */
import assert from "node:assert/strict";
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

Deno.test("a worker whose clock is 90 s ahead of the server's warns that its delays fire early", async () => {
  await using server = await startNatsServer();
  // real time 90 s on: the process's clock as naq reads it
  const clock = new ManualClock(Date.now() + 90_000);
  await using services = new ServiceManager(testConfig(server.url), { clock });
  const { logger, said } = warnings();
  const worker = new Worker("skewed", [defineTask("noop", () => {})], {
    services,
    id: "ahead",
    handleSignals: false,
    scheduler: false,
    logger,
  });
  const running = worker.run();
  await waitFor("the clock warning", () => said.some((line) => line.includes("clock")));
  const [warning] = said.filter((line) => line.includes("clock"));
  assert.match(
    warning,
    /^naq worker ahead: this process's clock is (8\d|9\d) s ahead of nats-server's/,
  );
  assert.match(warning, /fire up to \d+ s early\. Keep every host's clock in sync/);
  await worker.close();
  await running;
});

Deno.test("a scheduler whose clock is 2 minutes behind the server's warns that schedules fire late", async () => {
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
