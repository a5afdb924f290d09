import assert from "node:assert/strict";
import fc from "fast-check";
import { checkPayload } from "../../src/core/payload.ts";

function problemOf(payload: unknown): string {
  try {
    checkPayload(payload);
  } catch (err) {
    assert.ok(err instanceof TypeError, `a TypeError, not ${err}`);
    const start = "Cannot enqueue as the payload cannot be sent as JSON: ";
    assert.ok(err.message.startsWith(start), err.message);
    return err.message.slice(start.length);
  }
  assert.fail(`accepted ${Deno.inspect(payload)}`);
}

Deno.test("checkPayload() accepts JSON values, nested as deep as JSON goes", () => {
  const nested = {
    a: [1, "two", true, null, { b: [[], {}] }],
    "odd key": -1.5e-7,
    c: "é\u{1F600}",
  };
  for (const payload of [null, 0, -0, 1e308, "", "text", false, [], {}, nested]) {
    checkPayload(payload);
  }
  checkPayload(Object.assign(Object.create(null), { a: 1 }));
  const shared = { x: 1 };
  checkPayload({ left: shared, right: shared }); // the same object twice, not inside itself
  checkPayload({ a: undefined, b: 1 }); // left out, and reads back as undefined all the same
});

Deno.test("checkPayload() refuses a function or a symbol as the payload itself", () => {
  assert.equal(
    problemOf(() => 1),
    "payload is a function, which JSON cannot hold; send data, and keep the code in the task",
  );
  assert.equal(
    problemOf(Symbol("s")),
    "payload is a symbol (Symbol(s)), which JSON cannot hold; send a string",
  );
  assert.equal(problemOf(undefined), "payload is undefined, which JSON cannot hold; send null");
});

Deno.test("checkPayload() names where a nested function, symbol or undefined is", () => {
  assert.equal(
    problemOf({ user: { save() {} } }),
    "payload.user.save is a function, which JSON leaves out; send data, and keep the code " +
      "in the task",
  );
  assert.equal(
    problemOf({ items: [1, Symbol.iterator] }),
    "payload.items[1] is a symbol (Symbol(Symbol.iterator)), which JSON turns into null; " +
      "send a string",
  );
  assert.equal(
    problemOf({ "a b": [undefined] }),
    'payload["a b"][0] is undefined, which JSON turns into null; send null',
  );
  // deno-lint-ignore no-sparse-arrays
  assert.equal(
    problemOf([1, , 3]),
    "payload[1] is a hole in the array, which JSON turns into null; send null",
  );
  assert.equal(
    problemOf({ [Symbol("k")]: 1 }),
    "payload has a property keyed by Symbol(k), which JSON leaves out; key it by a string",
  );
  assert.equal(
    problemOf(Object.assign([1], { extra: 2 })),
    'payload has a property "extra" besides its elements, which JSON leaves out; send an ' +
      "object holding the array and the property",
  );
});

Deno.test("checkPayload() refuses NaN and Infinity, which JSON turns into null", () => {
  assert.equal(
    problemOf({ ratio: NaN }),
    "payload.ratio is NaN, which JSON turns into null; send a finite number, or null",
  );
  assert.match(problemOf([Infinity]), /^payload\[0\] is Infinity, which JSON turns into null/);
  assert.match(problemOf(-Infinity), /^payload is -Infinity/);
});

Deno.test("checkPayload() refuses BigInts and cycles, saying where", () => {
  assert.equal(
    problemOf({ count: 10n }),
    'payload.count is a BigInt (10n), which JSON cannot hold; send it as a string, such as "10"',
  );
  const order: Record<string, unknown> = { lines: [{}] };
  (order.lines as Record<string, unknown>[])[0].order = order;
  assert.equal(
    problemOf({ order }),
    "payload.order.lines[0].order refers back to payload.order (a cycle), which JSON cannot " +
      "hold; send a tree, with ids where one part refers to another",
  );
});

Deno.test("checkPayload() refuses objects that JSON does not give back as they were", () => {
  assert.equal(
    problemOf({ at: new Date(0) }),
    "payload.at is a Date, which JSON does not give back as it was; send its toISOString() " +
      "(or getTime()) and make a Date of it in the handler",
  );
  assert.match(problemOf(new Map([[1, 2]])), /^payload is a Map, .*Object\.fromEntries/);
  assert.match(problemOf(new Set([1])), /^payload is a Set, .*send \[\.\.\.set\]/);
  assert.match(problemOf(new Uint8Array(2)), /^payload is a Uint8Array, .*base64/);
  assert.match(problemOf([new (class Point {})()]), /^payload\[0\] is an instance of Point/);
  assert.match(problemOf(new Number(1)), /^payload is a boxed Number, .*valueOf\(\)/);
});

// Values of every kind: JSON's own, and each kind JSON drops, changes or cannot write.
const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0, NaN, Infinity, -Infinity, undefined),
    fc.double(),
    fc.string({ unit: "binary" }),
    fc.bigInt(),
    fc.constantFrom(() => 1, Symbol("s"), new Date(0), new Map(), new Set(), new Uint8Array(1)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.sparseArray(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
    fc.dictionary(fc.constantFrom("__proto__", "toJSON", "constructor"), tie("value"), {
      maxKeys: 2,
    }),
  ),
}));

/** The value as JSON gives it back at best: undefined properties left out, -0 as 0. */
function asJsonKeepsIt(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(asJsonKeepsIt);
  if (value === null || typeof value !== "object") return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, asJsonKeepsIt(item)]),
  );
}

function roundTrips(value: unknown): boolean {
  try {
    assert.deepEqual(JSON.parse(JSON.stringify(value)), asJsonKeepsIt(value));
    return true;
  } catch {
    return false;
  }
}

function accepts(value: unknown): boolean {
  try {
    checkPayload(value);
    return true;
  } catch (err) {
    assert.ok(err instanceof TypeError);
    return false;
  }
}

Deno.test("checkPayload() accepts a value exactly when it round-trips through JSON", () => {
  fc.assert(
    fc.property(anyValue, (value) => {
      const accepted = accepts(value);
      const kept = roundTrips(value);
      assert.equal(accepted, kept, accepted ? "accepted, but JSON changes it" : "refused");
      if (accepted) {
        // what a worker reads is what was enqueued
        assert.deepEqual(JSON.parse(JSON.stringify(value)), asJsonKeepsIt(value));
      }
    }),
    { numRuns: 5_000 },
  );
});

Deno.test("checkPayload() accepts every JSON value", () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => checkPayload(value)), { numRuns: 2_000 });
});
