import assert from "node:assert/strict";
import { parseSince } from "../../src/core/since.ts";

const NOW = Date.UTC(2026, 0, 5, 12);

Deno.test("parseSince() reads a duration as that long before now", () => {
  assert.equal(parseSince("1h", NOW), NOW - 3_600_000);
  assert.equal(parseSince(" 1h30m ", NOW), NOW - 5_400_000);
  assert.equal(parseSince("0s", NOW), NOW);
});

Deno.test("parseSince() reads a Date, ms since the epoch and an ISO 8601 time as instants", () => {
  assert.equal(parseSince(new Date(NOW - 1), NOW), NOW - 1);
  assert.equal(parseSince(NOW - 5, NOW), NOW - 5, "a number is an instant, not a duration");
  assert.equal(parseSince("2026-01-05T11:00:00Z", NOW), NOW - 3_600_000);
});

Deno.test("parseSince() refuses a number without a unit, showing the units", () => {
  assert.throws(
    () => parseSince("5", NOW),
    new RangeError(
      'Cannot use "5" as since: a number needs a unit to be a duration ago ("5s", "5m", ' +
        '"5h"), or give an ISO 8601 time such as "2026-12-01T09:00:00Z"',
    ),
  );
});

Deno.test("parseSince() refuses what is neither a time nor a duration, naming what it was for", () => {
  assert.throws(
    () => parseSince("last week", NOW, "--since"),
    new RangeError(
      'Cannot use "last week" as --since: give a duration ago such as "30m" or "1h30m", an ' +
        'ISO 8601 time such as "2026-12-01T09:00:00Z", a Date or ms since the epoch',
    ),
  );
  assert.throws(() => parseSince(new Date(NaN), NOW), /Cannot use an invalid Date as since/);
  assert.throws(() => parseSince(NaN, NOW), /Cannot use NaN as since/);
});
