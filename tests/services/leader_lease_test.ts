import assert from "node:assert/strict";
import { type Clock, systemClock } from "../../src/clock.ts";
import { type JsonBucket, KVStoreService } from "../../src/services/kv_store_service.ts";
import { LeaderLease, type LeaseRecord } from "../../src/services/leader_lease.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

const LEASE = 3_000;

/**
 * Runs replica A until it leads, then replica B beside it for 6 s, sampling every 20 ms;
 * returns how long both led at once.
 */
async function overlap(
  bucketOfA: (bucket: JsonBucket<LeaseRecord>) => JsonBucket<LeaseRecord>,
  clockOfB: Clock,
  meanwhile: () => void = () => {},
): Promise<number> {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const bucket = await (await services.get(KVStoreService)).bucket<LeaseRecord>("lease_test");
  const a = new LeaderLease(bucketOfA(bucket), "leader", "A", LEASE, systemClock);
  const b = new LeaderLease(bucket, "leader", "B", LEASE, clockOfB);
  const stop = new AbortController();
  const duties = (leading: AbortSignal) =>
    new Promise<void>((resolve) => leading.addEventListener("abort", () => resolve()));
  const runs = [a.run(stop.signal, duties, () => {})];
  while (!a.leading) await new Promise((resolve) => setTimeout(resolve, 10));
  runs.push(b.run(stop.signal, duties, () => {}));
  let both = 0;
  const started = Date.now();
  while (Date.now() - started < 6_000) {
    if (Date.now() - started > 1_500) meanwhile();
    if (a.leading && b.leading) both += 20;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop.abort();
  await Promise.all(runs);
  return both;
}

/** `bucket`, with its compare-and-swap replaced by `update`, as a sick link would answer. */
function withUpdate(
  bucket: JsonBucket<LeaseRecord>,
  update: JsonBucket<LeaseRecord>["update"],
): JsonBucket<LeaseRecord> {
  return {
    get: (key: string) => bucket.get(key),
    create: (key: string, value: LeaseRecord) => bucket.create(key, value),
    delete: (key: string, revision?: number) => bucket.delete(key, revision),
    update,
  } as unknown as JsonBucket<LeaseRecord>;
}

Deno.test("a leader whose renewals hang steps down before a follower takes over", async () => {
  let partitioned = false;
  setTimeout(() => (partitioned = true), 500);
  const both = await overlap((bucket) =>
    withUpdate(bucket, async (key, value, revision) => {
      // a partition: each request fails only after a client timeout of a third of the lease
      if (!partitioned) return await bucket.update(key, value, revision);
      await new Promise((resolve) => setTimeout(resolve, LEASE / 3));
      throw new Error("TimeoutError");
    }), systemClock);
  assert.equal(both, 0, `both led for about ${both} ms`);
});

Deno.test("a renewal stored at once but answered late does not stretch the lease", async () => {
  let renewals = 0;
  const both = await overlap((bucket) =>
    withUpdate(bucket, async (key, value, revision) => {
      // the third renewal lands at once and its reply takes a third of the lease; then the
      // link is gone
      renewals++;
      if (renewals < 3) return await bucket.update(key, value, revision);
      if (renewals === 3) {
        const next = await bucket.update(key, value, revision);
        await new Promise((resolve) => setTimeout(resolve, 0.35 * LEASE));
        return next;
      }
      await new Promise((resolve) => setTimeout(resolve, LEASE));
      throw new Error("TimeoutError");
    }), systemClock);
  assert.equal(both, 0, `both led for about ${both} ms`);
});

Deno.test("setting a follower's wall clock forward does not let it take a live leader's lease", async () => {
  let offset = 0;
  const skewed: Clock = { ...systemClock, now: () => Date.now() + offset };
  const both = await overlap((bucket) => bucket, skewed, () => (offset = 2 * LEASE));
  assert.equal(both, 0, `both led for about ${both} ms`);
});

Deno.test("two replicas with the same id do not both lead", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const bucket = await (await services.get(KVStoreService)).bucket<LeaseRecord>("lease_test");
  const a = new LeaderLease(bucket, "leader", "same", LEASE, systemClock);
  const b = new LeaderLease(bucket, "leader", "same", LEASE, systemClock);
  const stop = new AbortController();
  const duties = (leading: AbortSignal) =>
    new Promise<void>((resolve) => leading.addEventListener("abort", () => resolve()));
  const runs = [a.run(stop.signal, duties, () => {}), b.run(stop.signal, duties, () => {})];
  let both = 0;
  for (let i = 0; i < 100; i++) {
    if (a.leading && b.leading) both += 20;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(a.leading || b.leading, "one leads");
  stop.abort();
  await Promise.all(runs);
  assert.equal(both, 0);
});
