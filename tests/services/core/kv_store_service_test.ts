import assert from "node:assert/strict";
import { isNaqError } from "../../../src/errors.ts";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { type BucketChange, KVStoreService } from "../../../src/services/core/kv_store_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../../helpers/config.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

interface Job {
  state: string;
  attempts: number;
}

Deno.test("a bucket stores and reads JSON values with their revision", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  assert.equal(await jobs.get("a"), null);
  const before = Date.now();
  const revision = await jobs.put("a", { state: "waiting", attempts: 0 });
  const after = Date.now();
  const { storedAt, ...read } = (await jobs.get("a"))!;
  assert.deepEqual(read, { value: { state: "waiting", attempts: 0 }, revision });
  // stamped by the server, whose clock is this machine's
  assert.ok(before - 1 <= storedAt && storedAt <= after + 1, `${before} ${storedAt} ${after}`);
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

Deno.test("watchChanges(): stored() gives the stored write, null for a deletion, nothing for a refused one", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const jobs = await (await services.get(KVStoreService)).bucket<Job>("jobs");
  const changes: BucketChange<Job>[] = [];
  const watch = await jobs.watchChanges(">", (change) => changes.push(change));
  try {
    const first = await jobs.put("a", { state: "waiting", attempts: 0 });
    // a compare-and-swap from a stale revision: the subscription sees it, the bucket refuses it
    await jobs.put("a", { state: "active", attempts: 1 });
    assert.equal(await jobs.update("a", { state: "lost", attempts: 9 }, first), null);
    await jobs.delete("a");
    await waitFor("four notifications", () => changes.length === 4);
    assert.deepEqual(changes.map((change) => change.value?.state ?? null), [
      "waiting",
      "active",
      "lost",
      null,
    ]);
    // each is compared with what is stored now, after the deletion
    const [waiting, , lost, deleted] = await Promise.all(changes.map((c) => c.stored()));
    assert.equal(waiting, undefined, "replaced by later writes");
    assert.equal(lost, undefined, "refused");
    assert.equal(deleted, null);
    const again = await jobs.put("a", { state: "done", attempts: 2 });
    await waitFor("the fifth notification", () => changes.length === 5);
    const { storedAt: _, ...stored } = (await changes[4].stored())!;
    assert.deepEqual(stored, { value: { state: "done", attempts: 2 }, revision: again });
    // with a signal it keeps reading until told to stop
    const stop = new AbortController();
    const waiting2 = changes[2].stored(stop.signal);
    stop.abort();
    assert.equal(await waiting2, undefined);
  } finally {
    watch.stop();
  }
});

Deno.test("put() with a time to live: the server removes the key unless it is written again; purge() leaves nothing", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const kv = await services.get(KVStoreService);
  const leases = await kv.bucket<Job>("leases", { markerTtlMs: 1_000 });
  const seen: [string, Job | null][] = [];
  const feed = await leases.follow("a", (key, value) => seen.push([key, value]));
  const revision = await leases.put("a", { state: "alive", attempts: 0 }, { ttlMs: 1_000 });
  assert.deepEqual(
    { ...await leases.get("a"), storedAt: 0 },
    { value: { state: "alive", attempts: 0 }, revision, storedAt: 0 },
  );
  await leases.put("kept", { state: "alive", attempts: 0 });
  await waitFor("the server to expire key a", async () => await leases.get("a") === null);
  // a follower sees it go: the server's marker is a removal
  await waitFor("the follower to see a go", () => seen.length === 2);
  assert.deepEqual(seen, [["a", { state: "alive", attempts: 0 }], ["a", null]]);
  await feed.stop();
  assert.deepEqual(await leases.keys(), ["kept"]);
  await leases.purge("kept", { markerTtlMs: 1_000 });
  assert.equal(await leases.get("kept"), null);
  // the purge's marker expires too: no trace of either key is left in the stream
  const jsm = await (await services.get(ConnectionService)).jetstreamManager();
  await waitFor(
    "the markers to expire",
    async () => (await jsm.streams.info("KV_leases")).state.messages === 0,
  );

  await assert.rejects(
    leases.put("a", { state: "x", attempts: 0 }, { ttlMs: 1_500 }),
    (err) =>
      err instanceof RangeError &&
      err.message === 'Cannot write key "a" of bucket leases with a time to live of 1500 ms: ' +
          "NATS counts it in whole seconds, at least 1 s",
  );
  await assert.rejects(kv.bucket("other", { markerTtlMs: 10 }), RangeError);
});
