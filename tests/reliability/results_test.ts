import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silentLogger } from "./_helpers.ts";

Deno.test("2,000 jobs then 200 single round trips on one manager: every result() resolves", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  await using queue = new Queue("roundtrips", { services });
  const noop = defineTask("noop", (payload: { i: number }) => payload.i);
  const handles = await queue.enqueueMany(
    Array.from({ length: 2_000 }, (_, i) => ({ task: noop.name, payload: { i } })),
  );
  await using worker = new Worker("roundtrips", [noop], {
    services,
    concurrency: 64,
    handleSignals: false,
    logger: silentLogger,
  });
  const running = worker.run();
  const results = await Promise.all(handles.map((handle) => handle.result({ timeout: "60s" })));
  assert.deepEqual(results, handles.map((_, i) => i));
  for (let i = 0; i < 200; i++) {
    const handle = await queue.enqueue(noop, { i });
    assert.equal(await handle.result({ timeout: "60s" }), i);
  }
  await worker.close();
  await running;
});
