import assert from "node:assert/strict";
import fc from "fast-check";
import { envelopeSchema } from "../../src/core/envelope.ts";
import { readEnvelope } from "../../src/core/read_envelope.ts";

const valid = {
  v: 1,
  id: "order-42",
  task: "send-email",
  payload: { to: "a@example.com" },
  options: {
    attempts: 3,
    timeoutMs: 5_000,
    backoff: { type: "list", delay: 100, maxDelay: 60_000, jitter: 0.2, delays: [100, 500] },
  },
  nonce: "n-1",
  enqueuedAt: 1_700_000_000_000,
  schedule: { id: "daily", at: 1_700_000_000_000 },
  given: { attempts: 3, backoff: { delay: 100 } },
  errors: [{ attempt: 1, message: "boom", name: "Error", worker: "w", at: 1 }],
};

// a value that may break a field: wrong types, edge numbers, missing, extra keys
const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom(0, -1, 1, 1.5, 2 ** 31, 2 ** 53, -0, 1e300),
  fc.constantFrom("", "x", "fixed", "exponential", "list", "bogus"),
  fc.constant([]),
  fc.constant([1, -1]),
  fc.constant({}),
  fc.jsonValue(),
);

/** Sets the value at a path of a copy of `json`, or deletes it when `value` is undefined. */
function mutate(json: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(json) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== "object" || at[key] === null) return copy;
    at = at[key] as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const paths = fc.constantFrom(
  ["v"],
  ["id"],
  ["task"],
  ["payload"],
  ["nonce"],
  ["enqueuedAt"],
  ["extra"],
  ["options"],
  ["options", "attempts"],
  ["options", "timeoutMs"],
  ["options", "extra"],
  ["options", "backoff"],
  ["options", "backoff", "type"],
  ["options", "backoff", "delay"],
  ["options", "backoff", "maxDelay"],
  ["options", "backoff", "jitter"],
  ["options", "backoff", "delays"],
  ["schedule"],
  ["schedule", "id"],
  ["schedule", "at"],
  ["given"],
  ["given", "attempts"],
  ["given", "timeoutMs"],
  ["given", "backoff"],
  ["errors"],
  ["errors", "0"],
  ["errors", "0", "stack"],
  ["errors", "0", "at"],
  ["errors", "0", "extra"],
);

Deno.test("readEnvelope() accepts only what the schema accepts, and reads it the same", () => {
  assert.deepEqual(readEnvelope(valid), envelopeSchema.parse(valid));
  fc.assert(
    fc.property(fc.array(fc.tuple(paths, odd), { minLength: 1, maxLength: 3 }), (edits) => {
      let json: unknown = valid;
      for (const [path, value] of edits) json = mutate(json, path, value);
      const read = readEnvelope(json);
      if (read === undefined) return;
      const schema = envelopeSchema.safeParse(json);
      assert.ok(schema.success, `read by hand, refused by the schema: ${JSON.stringify(json)}`);
      assert.deepEqual(read, schema.data);
    }),
    { numRuns: 5_000 },
  );
});
