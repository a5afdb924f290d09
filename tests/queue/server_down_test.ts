import assert from "node:assert/strict";
import { ConnectionError, isNaqError } from "../../src/errors.ts";
import { Queue } from "../../src/queue.ts";
import {
  ConnectionService,
  RECONNECT_PATIENCE_MS,
} from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { nextTurn, testConfig, waitFor, within } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";

/** A server, a manager on it on a driven clock, and the queue `jobs` with one job stored. */
async function connectedThenDown(): Promise<{
  server: NatsServer;
  services: ServiceManager;
  clock: ManualClock;
  queue: Queue;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const clock = new ManualClock();
  const server = await startNatsServer();
  const services = new ServiceManager(testConfig(server.url), { clock });
  const queue = new Queue("jobs", { services });
  await queue.enqueue("t", 1);
  const connection = await services.get(ConnectionService);
  await server.kill();
  await waitFor("the client to see the server gone", () => !connection.connected);
  return {
    server,
    services,
    clock,
    queue,
    async [Symbol.asyncDispose]() {
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

/** Settles as `promise` does once the clock passed the patience, and not a moment before. */
async function afterPatience<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await nextTurn();
  clock.advance(RECONNECT_PATIENCE_MS - 1);
  await nextTurn();
  assert.equal(settled, false, "it waits for the connection to come back");
  clock.advance(1);
  return await within("the wait to end", promise, 5_000);
}

function assertUnreachable(err: unknown, server: NatsServer, what: string): true {
  assert.ok(err instanceof ConnectionError, `a ConnectionError, not ${err}`);
  assert.ok(isNaqError(err, "CONNECTION"));
  assert.deepEqual(err.servers, [server.url]);
  assert.equal(
    err.message,
    `Cannot ${what}: NATS at ${server.url} could not be reached; the connection to ` +
      `127.0.0.1:${server.port} was lost 30 s ago and did not come back within the 30 s this ` +
      "waited. Check that nats-server is running there, or set nats.servers (NAQ_NATS_SERVERS).",
  );
  return true;
}

Deno.test("enqueue() with the server down fails with a ConnectionError naming it, not a bare timeout", async () => {
  await using env = await connectedThenDown();
  await assert.rejects(
    afterPatience(env.clock, env.queue.enqueue("t", 2)),
    (err) => assertUnreachable(err, env.server, "enqueue a job of task t to queue jobs"),
  );
});

Deno.test("enqueueMany() to a queue not yet used, with the server down, says the same", async () => {
  await using env = await connectedThenDown();
  const fresh = new Queue("fresh", { services: env.services });
  await assert.rejects(
    afterPatience(env.clock, fresh.enqueueMany([{ task: "t", payload: 1 }])),
    (err) => assertUnreachable(err, env.server, "enqueue 1 job to queue fresh"),
  );
});

Deno.test("enqueue() while the server restarts waits for it, and stores the job", async () => {
  await using env = await connectedThenDown();
  const enqueued = env.queue.enqueue("t", 2);
  await env.server.restart();
  const handle = await within("the enqueue to finish", enqueued);
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting");
});

Deno.test("enqueue() once the connection gave up reconnecting says it is closed for good", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(
    testConfig(server.url, { nats: { reconnect: { wait: "50ms", maxAttempts: 1 } } }),
  );
  const queue = new Queue("jobs", { services });
  await queue.enqueue("t", 1);
  const connection = await services.get(ConnectionService);
  await server.kill();
  await waitFor("the connection to close for good", () => connection.closed);
  await assert.rejects(queue.enqueue("t", 2), {
    name: "ConnectionError",
    message: "Cannot enqueue a job of task t to queue jobs: the connection to NATS at " +
      `${server.url} is closed for good (its manager was closed, or ` +
      "nats.reconnect.maxAttempts was reached)",
  });
});
