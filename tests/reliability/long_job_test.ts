import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { onExit, queueOnServer, silentLogger } from "./_helpers.ts";

// the server's ack wait runs on real time; a worker beats a third of it
const ACK_WAIT_MS = 2_000;
const HEARTBEAT_MS = Math.round(ACK_WAIT_MS / 3);
const ACK_WAITS = 3;

Deno.test("a job running through three ack waits is kept alive: it runs once and completes", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, {
    queueDefaults: { ackWait: ACK_WAIT_MS },
    worker: { scheduler: false },
  });
  await using queue = new Queue("long", { config });
  // the job runs until the test lets it finish
  const finishing = Promise.withResolvers<void>();
  const runs: number[] = [];
  const long = defineTask("long", async (_payload: null, ctx) => {
    runs.push(ctx.attempt);
    await finishing.promise;
    return "done";
  });
  // the workers' heartbeats beat as the test advances their clock
  const clock = new ManualClock();
  await using services = new ServiceManager(config, { clock });
  // two workers, so a redelivery would have somewhere to go
  await using first = new Worker("long", [long], {
    services,
    id: "first",
    handleSignals: false,
    logger: silentLogger,
  });
  await using second = new Worker("long", [long], {
    services,
    id: "second",
    handleSignals: false,
    logger: silentLogger,
  });
  // The yardstick: a job on a worker whose clock never moves gets no heartbeat, so the server
  // redelivers it each time an ack wait runs out.
  await using frozen = new ServiceManager(config, { clock: new ManualClock() });
  await using yardstickQueue = new Queue("yardstick", { services: frozen });
  await using stalled = new Worker("yardstick", [defineTask("stall", () => finishing.promise)], {
    services: frozen,
    id: "stalled",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = [first.run(), second.run(), stalled.run()];
  // ends the jobs, so that the workers can close, should an assertion fail before that
  using _finish = onExit(() => finishing.resolve());

  const handle = await queue.enqueue(long, null);
  await waitFor("the long job to run", () => runs.length === 1, 30_000);
  // started after the long job: once it was delivered ACK_WAITS + 1 times, ACK_WAITS ack
  // waits have passed over the long job too
  await yardstickQueue.enqueue("stall", null, { attempts: ACK_WAITS + 5 });
  await waitFor(`${ACK_WAITS} ack waits to pass, by the yardstick's redeliveries`, async () => {
    clock.advance(HEARTBEAT_MS);
    return (await queueOnServer(server, "yardstick")).delivered > ACK_WAITS;
  }, 60_000);
  assert.equal((await queueOnServer(server, "long")).delivered, 1, "the long job was redelivered");
  assert.deepEqual(runs, [1], "the handler ran once, as attempt 1");

  finishing.resolve();
  assert.equal(await handle.result({ timeout: "60s" }), "done");
  await Promise.all([first, second, stalled].map((worker) => worker.close()));
  await Promise.all(running);

  const job = await queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.attempt, 1);
  assert.equal(job.result, "done");
  assert.deepEqual(job.errors, []);
  assert.ok(job.worker === "first" || job.worker === "second");
});
