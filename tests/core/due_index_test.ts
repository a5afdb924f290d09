import assert from "node:assert/strict";
import fc from "fast-check";
import { DueIndex } from "../../src/core/due_index.ts";

type Op =
  | { kind: "set"; key: number; at: number }
  | { kind: "delete"; key: number }
  | { kind: "take"; now: number; max: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.nat(20), at: fc.nat(100) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.nat(20) }),
  fc.record({
    kind: fc.constant("take" as const),
    now: fc.nat(100),
    max: fc.integer({ min: 1, max: 5 }),
  }),
);

Deno.test("DueIndex takes what a sorted list of (time, key) would, in the same order", () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
    const index = new DueIndex<number>();
    const model = new Map<number, number>();
    for (const step of ops) {
      if (step.kind === "set") {
        index.set(step.key, step.at);
        model.set(step.key, step.at);
      } else if (step.kind === "delete") {
        assert.equal(index.delete(step.key), model.delete(step.key));
      } else {
        const taken = index.takeDue(step.now, step.max);
        const due = [...model].filter(([, at]) => at <= step.now)
          .sort((a, b) => a[1] - b[1]);
        // ties in time may come out in any order; times must not
        assert.deepEqual(
          taken.map((key) => model.get(key)),
          due.slice(0, step.max).map(([, at]) => at),
        );
        for (const key of taken) model.delete(key);
      }
      assert.equal(index.size, model.size);
      const earliest = Math.min(...model.values());
      assert.equal(index.next(), model.size === 0 ? undefined : earliest);
    }
  }));
});

Deno.test("DueIndex keeps only the latest time of a key moved many times", () => {
  const index = new DueIndex<string>();
  for (let i = 0; i < 100_000; i++) index.set(`k${i % 10}`, i);
  assert.equal(index.size, 10);
  assert.deepEqual(index.takeDue(99_995), ["k0", "k1", "k2", "k3", "k4", "k5"]);
  assert.equal(index.next(), 99_996);
});
