import assert from "node:assert/strict";
import type { Clock } from "../../../src/clock.ts";
import { type JsonBucket, KVStoreService } from "../../../src/services/core/kv_store_service.ts";
import { LeaderLease, type LeaseRecord } from "../../../src/services/business/leader_lease.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { nextTurn, testConfig } from "../../helpers/config.ts";
import { ManualClock } from "../../helpers/manual_clock.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

const LEASE = 3_000;
// driven time between two looks at who leads: well under the lease's tenth, its poll
const STEP = 20;

/**
 * Two replicas on one driven clock, and a bucket that counts its requests in flight: between
 * steps of the clock the test waits until the replicas have done all they do, so how long a
 * request takes on this machine changes nothing.
 */
interface Election {
  readonly clock: ManualClock;
  readonly bucket: JsonBucket<LeaseRecord>;
  /** Starts `lease` competing; resolves once it has done all it does before time passes. */
  start(lease: LeaderLease): Promise<void>;
  /** Moves the clock by `ms` and waits until the replicas have done what it woke. */
  advance(ms: number): Promise<void>;
}

async function withElection(test: (election: Election) => Promise<void>): Promise<void> {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const real = await (await services.get(KVStoreService)).bucket<LeaseRecord>("lease_test");
  const inFlight = new Set<Promise<unknown>>();
  const counted = <T>(request: Promise<T>): Promise<T> => {
    inFlight.add(request);
    request.then(() => inFlight.delete(request), () => inFlight.delete(request));
    return request;
  };
  const bucket = {
    get: (key: string) => counted(real.get(key)),
    create: (key: string, value: LeaseRecord) => counted(real.create(key, value)),
    update: (key: string, value: LeaseRecord, revision: number) =>
      counted(real.update(key, value, revision)),
    delete: (key: string, revision?: number) => counted(real.delete(key, revision)),
  } as unknown as JsonBucket<LeaseRecord>;
  // the replicas wait either on the clock or on a request: once no request is in flight
  // and the callbacks queued meanwhile have run, nothing moves until the clock does
  const settle = async () => {
    await nextTurn();
    while (inFlight.size > 0) {
      await Promise.allSettled([...inFlight]);
      await nextTurn();
    }
  };
  const clock = new ManualClock();
  const stop = new AbortController();
  const runs: Promise<void>[] = [];
  const duties = (leading: AbortSignal) =>
    new Promise<void>((resolve) => leading.addEventListener("abort", () => resolve()));
  try {
    await test({
      clock,
      bucket,
      async start(lease) {
        runs.push(lease.run(stop.signal, duties, () => {}));
        await settle();
      },
      async advance(ms) {
        clock.advance(ms);
        await settle();
      },
    });
  } finally {
    stop.abort();
    await Promise.all(runs);
  }
}

/** How long each replica led, and both at once, in driven ms. */
interface Overlap {
  readonly both: number;
  readonly a: number;
  readonly b: number;
}

/**
 * Runs replica A until it leads, then replica B beside it for three leases of driven time,
 * looking every {@linkcode STEP} ms at who leads.
 *
 * @param bucketOfA what A's link to the bucket does, given the bucket and the clock
 * @param clockOfB B's clock, given the shared one
 * @param meanwhile called at each step with the driven ms since B started
 */
async function overlap(
  bucketOfA: (bucket: JsonBucket<LeaseRecord>, clock: Clock) => JsonBucket<LeaseRecord>,
  clockOfB: (clock: ManualClock) => Clock = (clock) => clock,
  meanwhile: (elapsed: number) => void = () => {},
): Promise<Overlap> {
  let led = { both: 0, a: 0, b: 0 };
  await withElection(async ({ clock, bucket, start, advance }) => {
    const a = new LeaderLease(bucketOfA(bucket, clock), "leader", "A", LEASE, clock);
    const b = new LeaderLease(bucket, "leader", "B", LEASE, clockOfB(clock));
    await start(a);
    assert.ok(a.leading, "A leads once it started alone");
    await start(b);
    for (let elapsed = 0; elapsed < 3 * LEASE; elapsed += STEP) {
      meanwhile(elapsed);
      await advance(STEP);
      led = {
        both: led.both + (a.leading && b.leading ? STEP : 0),
        a: led.a + (a.leading ? STEP : 0),
        b: led.b + (b.leading ? STEP : 0),
      };
    }
  });
  return led;
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
  const led = await overlap(
    (bucket, clock) =>
      withUpdate(bucket, async (key, value, revision) => {
        // a partition: each request fails only after a client timeout of a third of the lease
        if (!partitioned) return await bucket.update(key, value, revision);
        await clock.sleep(LEASE / 3);
        throw new Error("TimeoutError");
      }),
    undefined,
    (elapsed) => (partitioned ||= elapsed >= 500),
  );
  assert.equal(led.both, 0, `both led for ${led.both} ms`);
  assert.ok(led.b > 0, "the follower took over");
});

Deno.test("a renewal stored at once but answered late does not stretch the lease", async () => {
  let renewals = 0;
  const led = await overlap((bucket, clock) =>
    withUpdate(bucket, async (key, value, revision) => {
      // the third renewal lands at once and its reply takes a third of the lease; then the
      // link is gone
      renewals++;
      if (renewals < 3) return await bucket.update(key, value, revision);
      if (renewals === 3) {
        const next = await bucket.update(key, value, revision);
        await clock.sleep(0.35 * LEASE);
        return next;
      }
      await clock.sleep(LEASE);
      throw new Error("TimeoutError");
    })
  );
  assert.ok(renewals > 3, `A renewed ${renewals} times: the late reply came, then the link went`);
  assert.equal(led.both, 0, `both led for ${led.both} ms`);
  assert.ok(led.b > 0, "the follower took over");
});

Deno.test("setting a follower's wall clock forward does not let it take a live leader's lease", async () => {
  let offset = 0;
  const led = await overlap(
    (bucket) => bucket,
    (clock) => ({
      now: () => clock.now() + offset,
      monotonic: () => clock.monotonic(),
      sleep: (ms, signal) => clock.sleep(ms, signal),
    }),
    (elapsed) => {
      if (elapsed >= LEASE / 2) offset = 2 * LEASE;
    },
  );
  assert.equal(led.b, 0, `the follower led for ${led.b} ms`);
  assert.equal(led.a, 3 * LEASE, "the leader led throughout");
});

Deno.test("two replicas with the same id do not both lead", async () => {
  await withElection(async ({ clock, bucket, start, advance }) => {
    const a = new LeaderLease(bucket, "leader", "same", LEASE, clock);
    const b = new LeaderLease(bucket, "leader", "same", LEASE, clock);
    await Promise.all([start(a), start(b)]);
    let both = 0;
    let one = 0;
    for (let elapsed = 0; elapsed < 3 * LEASE; elapsed += STEP) {
      await advance(STEP);
      if (a.leading && b.leading) both += STEP;
      if (a.leading !== b.leading) one += STEP;
    }
    assert.equal(both, 0, `both led for ${both} ms`);
    assert.equal(one, 3 * LEASE, "one of them led throughout");
  });
});
