import assert from "node:assert/strict";
import fc from "fast-check";
import { wireNames } from "../../src/core/names.ts";
import {
  entryTtlMs,
  isWorkerEntry,
  sortEntries,
  type WorkerEntry,
  workerState,
} from "../../src/core/worker_entry.ts";

function entry(overrides: Partial<WorkerEntry>): WorkerEntry {
  return {
    id: "w",
    kind: "worker",
    host: "h",
    pid: 1,
    queues: ["q"],
    tasks: ["t"],
    concurrency: 1,
    running: [],
    startedAt: 0,
    heartbeatAt: 0,
    version: "0.1.0",
    state: "running",
    ...overrides,
  };
}

Deno.test("entryTtlMs() lasts more than one heartbeat and at most two, in whole seconds", () => {
  assert.equal(entryTtlMs(5_000), 10_000);
  assert.equal(entryTtlMs(1_000), 2_000);
  assert.equal(entryTtlMs(1_400), 2_000);
  fc.assert(fc.property(fc.integer({ min: 1_000, max: 86_400_000 }), (heartbeat) => {
    const ttl = entryTtlMs(heartbeat);
    return ttl % 1_000 === 0 && ttl > heartbeat && ttl <= 2 * heartbeat;
  }));
  assert.throws(() => entryTtlMs(999), /use at least 1000 ms, as NATS counts its time to live/);
});

Deno.test("workerState() drains once stopping, pauses only when every queue is paused", () => {
  assert.equal(workerState(true, [false]), "draining");
  assert.equal(workerState(true, [true]), "draining");
  assert.equal(workerState(false, [true, true]), "paused");
  assert.equal(workerState(false, [true, false]), "running");
  assert.equal(workerState(false, []), "running");
});

Deno.test("sortEntries() lists workers, then schedulers, each oldest first", () => {
  const sorted = sortEntries([
    entry({ id: "s1", kind: "scheduler", startedAt: 1 }),
    entry({ id: "w2", startedAt: 5 }),
    entry({ id: "w1b", startedAt: 3 }),
    entry({ id: "w1a", startedAt: 3 }),
  ]);
  assert.deepEqual(sorted.map((e) => e.id), ["w1a", "w1b", "w2", "s1"]);
});

Deno.test("isWorkerEntry() leaves out what naq did not write", () => {
  assert.ok(isWorkerEntry(entry({})));
  assert.ok(!isWorkerEntry(null));
  assert.ok(!isWorkerEntry({ id: "x" }));
  assert.ok(!isWorkerEntry({ ...entry({}), kind: "robot" }));
});

Deno.test("workerKey() gives every id a key of its own, of characters a KV key takes", () => {
  const names = wireNames("naq");
  assert.equal(names.workerKey("worker", "worker-12-ab_C"), "worker.worker-12-ab_C");
  assert.equal(names.workerKey("scheduler", "a b"), "scheduler.=YSBi");
  const id = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(/^=?[\w-]+$/));
  fc.assert(fc.property(id, id, (a, b) => {
    const [keyA, keyB] = [names.workerKey("worker", a), names.workerKey("worker", b)];
    return /^worker\.[A-Za-z0-9_=-]+$/.test(keyA) && (a === b) === (keyA === keyB);
  }));
});
