import assert from "node:assert/strict";
import { instantAfter, MAX_INSTANT_MS, parseInstant } from "../../src/core/instant.ts";

const NOW = Date.UTC(2026, 0, 5, 12);

Deno.test("parseInstant() reads a Date, ms since the epoch and an ISO 8601 string", () => {
  assert.equal(parseInstant(new Date(NOW), "runAt"), NOW);
  assert.equal(parseInstant(NOW, "runAt"), NOW);
  assert.equal(parseInstant("2026-01-05T12:00:00Z", "runAt"), NOW);
  assert.equal(parseInstant("2026-01-05T13:00:00.000+01:00", "runAt"), NOW);
  assert.equal(parseInstant("2026-01-05 12:00Z", "runAt"), NOW);
  assert.equal(parseInstant("2026-01-05", "runAt"), Date.UTC(2026, 0, 5));
});

Deno.test("parseInstant() refuses the forms of its own that Date.parse also reads", () => {
  // Date.parse("5 5") is a day in May 2001, and "Jan 5 2026" is local midnight
  for (const text of ["5 5", "Jan 5 2026", "5", "Mon, 05 Jan 2026 12:00:00 GMT", "2026-1-5"]) {
    assert.throws(() => parseInstant(text, "runAt"), /^RangeError: Cannot use .* ISO 8601 time/);
  }
});

Deno.test("parseInstant() takes the farthest instants a Date holds, either side", () => {
  assert.equal(MAX_INSTANT_MS, 8.64e15);
  assert.equal(new Date(MAX_INSTANT_MS).toISOString(), "+275760-09-13T00:00:00.000Z");
  assert.equal(parseInstant(MAX_INSTANT_MS, "runAt"), MAX_INSTANT_MS);
  assert.equal(parseInstant(-MAX_INSTANT_MS, "runAt"), -MAX_INSTANT_MS);
  assert.equal(parseInstant(new Date(MAX_INSTANT_MS), "runAt"), MAX_INSTANT_MS);
});

Deno.test("parseInstant() refuses ms past what a Date holds, saying the limit", () => {
  for (const ms of [MAX_INSTANT_MS + 1, -MAX_INSTANT_MS - 1, 1e20]) {
    assert.throws(() => parseInstant(ms, "runAt"), {
      name: "RangeError",
      message: `Cannot use ${ms} ms as runAt: give at most 8.64e15 ms either side of the epoch ` +
        "(+275760-09-13), the farthest a Date holds",
    });
  }
});

Deno.test("parseInstant() refuses what is not a time, an invalid Date included", () => {
  assert.throws(() => parseInstant(new Date(NaN), "runAt"), {
    name: "RangeError",
    message: "Cannot use an invalid Date as runAt: give a Date, ms since the epoch, or an " +
      'ISO 8601 time such as "2026-12-01T09:00:00Z"',
  });
  assert.throws(() => parseInstant("soon", "startAt"), /^RangeError: Cannot use "soon" as startAt/);
  assert.throws(() => parseInstant(NaN, "runAt"), RangeError);
});

Deno.test("instantAfter() adds a delay, up to the farthest instant a Date holds", () => {
  assert.equal(instantAfter(NOW, 5_000, "delay"), NOW + 5_000);
  assert.equal(instantAfter(NOW, MAX_INSTANT_MS - NOW, "delay"), MAX_INSTANT_MS);
  assert.throws(() => instantAfter(NOW, 1e20, "delay"), {
    name: "RangeError",
    message: "Cannot use 100000000000000000000 ms as delay: it ends past 8.64e15 ms either " +
      "side of the epoch (+275760-09-13), the farthest a Date holds; give at most " +
      `${MAX_INSTANT_MS - NOW} ms from now`,
  });
  assert.throws(() => instantAfter(NOW, MAX_INSTANT_MS - NOW + 1, "delay"), RangeError);
});

Deno.test("parseInstant() refuses a day the month does not have, rather than roll it over", () => {
  // Date.parse reads "2026-02-30" as March 2, and "2026-04-31" as May 1
  for (const text of ["2026-02-30", "2026-02-29T09:00:00Z", "2026-04-31 12:00", "2026-01-00"]) {
    assert.throws(
      () => parseInstant(text, "runAt"),
      new RegExp(`^RangeError: Cannot use "${text}" as runAt: .* has no day .* ISO 8601 time`),
    );
  }
  assert.equal(parseInstant("2028-02-29", "runAt"), Date.UTC(2028, 1, 29)); // a leap year
  assert.equal(parseInstant("2026-12-31T23:59:59Z", "runAt"), Date.UTC(2026, 11, 31, 23, 59, 59));
});
