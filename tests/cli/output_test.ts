import assert from "node:assert/strict";
import { formatAge } from "../../src/cli/_output.ts";

Deno.test("formatAge() says how long ago, or how soon, in the largest unit", () => {
  const now = Date.UTC(2026, 11, 1, 12);
  assert.equal(formatAge(undefined, now), "-");
  assert.equal(formatAge(now - 400, now), "just now");
  assert.equal(formatAge(now - 12_000, now), "12s ago");
  assert.equal(formatAge(now - 3 * 60_000 - 59_000, now), "3m ago");
  assert.equal(formatAge(now - 5 * 3_600_000, now), "5h ago");
  assert.equal(formatAge(now - 4 * 86_400_000, now), "4d ago");
  assert.equal(formatAge(now + 2 * 3_600_000, now), "in 2h");
  assert.equal(formatAge(now + 90_000, now), "in 1m");
});
