import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, untilConnections } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { FAST_RETRIES, silent } from "./_setup.ts";

const double = defineTask("double", (n: number) => n * 2);

Deno.test("a Queue with { config } opens its own connection and closes it on dispose", async () => {
  await using server = await startNatsServer();
  {
    await using queue = new Queue("jobs", { config: testConfig(server.url, FAST_RETRIES) });
    await queue.enqueue(double, 1);
    await untilConnections(server, 1);
  }
  await untilConnections(server, 0);
});

Deno.test("a Worker with { config } opens its own connection and closes it on dispose", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url, FAST_RETRIES));
  const queue = new Queue("jobs", { services });
  const handle = await queue.enqueue(double, 21);
  {
    await using worker = new Worker("jobs", [double], {
      config: testConfig(server.url, FAST_RETRIES),
      handleSignals: false,
      logger: silent,
    });
    const running = worker.run();
    assert.equal(await handle.result({ timeout: "30s" }), 42);
    await untilConnections(server, 2); // the queue's and the worker's
    await worker.close();
    await running;
  }
  await untilConnections(server, 1);
});

Deno.test("Queue, Worker and many enqueues on { services } share one connection", async () => {
  await using server = await startNatsServer();
  {
    await using services = new ServiceManager(testConfig(server.url, FAST_RETRIES));
    await using queue = new Queue("jobs", { services });
    await using worker = new Worker("jobs", [double], {
      services,
      concurrency: 8,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    const handles = [];
    for (let i = 0; i < 50; i++) handles.push(await queue.enqueue(double, i));
    handles.push(
      ...await queue.enqueueMany(
        Array.from({ length: 50 }, (_, i) => ({ task: double, payload: 50 + i })),
      ),
    );
    const results = await Promise.all(handles.map((handle) => handle.result({ timeout: "30s" })));
    assert.deepEqual(results, Array.from({ length: 100 }, (_, i) => i * 2));
    await queue.stats();
    await untilConnections(server, 1);
    await worker.close();
    await queue.close();
    // a round trip on the shared connection: it fails if closing them closed it
    await (await services.get(ConnectionService)).nc.flush();
    await untilConnections(server, 1); // and no other
  }
  await untilConnections(server, 0);
});

Deno.test("close() is idempotent for a Queue and a Worker that own their connection", async () => {
  await using server = await startNatsServer();
  const queue = new Queue("jobs", { config: testConfig(server.url) });
  await queue.enqueue(double, 1);
  const worker = new Worker("jobs", [double], {
    config: testConfig(server.url),
    handleSignals: false,
    logger: silent,
  });
  const running = worker.run();
  await untilConnections(server, 2);
  assert.equal(queue.close(), queue.close());
  assert.equal(worker.close(), worker.close());
  await Promise.all([queue.close(), worker.close(), running]);
  await untilConnections(server, 0);
});
