import assert from "node:assert/strict";
import { isNaqError } from "../../src/errors.ts";
import { ConnectionService } from "../../src/services/connection_service.ts";
import { KVStoreService } from "../../src/services/kv_store_service.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

interface Job {
  state: string;
  attempts: number;
}

Deno.test("a bucket stores and reads JSON values with their revision", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  assert.equal(await jobs.get("a"), null);
  const revision = await jobs.put("a", { state: "waiting", attempts: 0 });
  assert.deepEqual(await jobs.get("a"), { value: { state: "waiting", attempts: 0 }, revision });
  await jobs.delete("a");
  assert.equal(await jobs.get("a"), null);
});

Deno.test("create() writes only a new key and returns null when it exists", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  assert.equal(typeof await jobs.create("a", { state: "waiting", attempts: 0 }), "number");
  assert.equal(await jobs.create("a", { state: "active", attempts: 1 }), null);
  assert.equal((await jobs.get("a"))?.value.state, "waiting");
  await jobs.delete("a");
  assert.equal(typeof await jobs.create("a", { state: "again", attempts: 0 }), "number");
});

Deno.test("update() is compare-and-swap: of two writers at one revision, one wins", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  const revision = await jobs.put("a", { state: "waiting", attempts: 0 });
  const outcomes = await Promise.all([
    jobs.update("a", { state: "active", attempts: 1 }, revision),
    jobs.update("a", { state: "cancelled", attempts: 0 }, revision),
  ]);
  assert.equal(outcomes.filter((outcome) => outcome === null).length, 1);
  const winner = outcomes[0] === null ? "cancelled" : "active";
  assert.equal((await jobs.get("a"))?.value.state, winner);
});

Deno.test("a value that is not JSON gives a DECODE error naming the key and bucket", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  const js = (await services.get(ConnectionService)).jetstream();
  await js.publish("$KV.jobs.bad", "not json");
  await assert.rejects(
    jobs.get("bad"),
    (err) =>
      isNaqError(err, "DECODE") && /Key "bad" in bucket jobs does not hold JSON/.test(err.message),
  );
});

Deno.test("keys() lists the keys that have a value", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  await Promise.all(["a", "b", "c"].map((key) => jobs.put(key, { state: "waiting", attempts: 0 })));
  await jobs.delete("b");
  assert.deepEqual((await jobs.keys()).sort(), ["a", "c"]);
});
