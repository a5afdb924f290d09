import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger } from "./_helpers.ts";

Deno.test("a job running 3.5x the ack wait is kept alive: it runs once and completes", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { queueDefaults: { ackWait: "1s" } });
  await using queue = new Queue("long", { config });
  const runs: number[] = [];
  const long = defineTask("long", async (_payload: null, ctx) => {
    runs.push(ctx.attempt);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    return "done";
  });
  // two workers, so a redelivery would have somewhere to go
  await using first = new Worker("long", [long], {
    config,
    id: "first",
    handleSignals: false,
    logger: silentLogger,
  });
  await using second = new Worker("long", [long], {
    config,
    id: "second",
    handleSignals: false,
    logger: silentLogger,
  });
  const running = [first.run(), second.run()];

  const handle = await queue.enqueue(long, null);
  assert.equal(await handle.result({ timeout: "15s" }), "done");
  // a redelivery would have come 1 s into the run, long before it completed
  await Promise.all([first.close(), second.close()]);
  await Promise.all(running);

  assert.deepEqual(runs, [1], "the handler ran once, as attempt 1");
  const job = await queue.getJob(handle.id);
  assert.equal(job?.state, "completed");
  assert.equal(job.attempt, 1);
  assert.equal(job.result, "done");
  assert.deepEqual(job.errors, []);
  assert.ok(job.worker === "first" || job.worker === "second");
});
