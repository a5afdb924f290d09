import assert from "node:assert/strict";
import { TimeoutError as RequestTimeout } from "@nats-io/nats-core";
import { ConnectionError, NaqError } from "../../../src/errors.ts";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../../helpers/config.ts";
import { ManualClock } from "../../helpers/manual_clock.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

Deno.test("reaching() leaves an operation's errors as they are while the connection holds", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url), { clock: new ManualClock() });
  const connection = await services.get(ConnectionService);
  assert.equal(connection.connected, true);
  assert.equal(await connection.reaching("add", () => Promise.resolve(42)), 42);
  const timeout = new RequestTimeout();
  await assert.rejects(connection.reaching("wait", () => Promise.reject(timeout)), (err) => {
    assert.equal(err, timeout, "a timeout on a connection that held is the operation's own");
    return true;
  });
});

Deno.test("reaching() names the lost connection when an operation went unanswered during an outage", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url), { clock: new ManualClock() });
  const connection = await services.get(ConnectionService);
  const outage = async () => {
    await server.kill();
    await waitFor("the client to see the server gone", () => !connection.connected);
    await server.restart();
    await waitFor("the client to reconnect", () => connection.connected);
  };
  const timeout = new RequestTimeout();
  await assert.rejects(
    connection.reaching("publish x", async () => {
      await outage();
      throw timeout;
    }),
    (err) => {
      assert.ok(err instanceof ConnectionError);
      assert.deepEqual(err.servers, [server.url]);
      assert.equal(err.cause, timeout);
      assert.equal(
        err.message,
        `Cannot publish x: the connection to NATS at ${server.url} was lost while it ran, ` +
          "and came back; it may or may not have been done",
      );
      return true;
    },
  );
  // an answer is no outage: a refusal, or a naq error other than UNAVAILABLE, passes as it is
  const refused = new NaqError("CONFLICT", "changed meanwhile");
  await assert.rejects(
    connection.reaching("update x", async () => {
      await outage();
      throw refused;
    }),
    (err) => err === refused,
  );
});
