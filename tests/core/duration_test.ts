import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDuration, parseDuration, tryParseDuration } from "../../src/core/duration.ts";

Deno.test("parseDuration() reads each unit and combinations of them", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration(" 10s "), 10_000);
});

Deno.test("parseDuration() takes numbers as milliseconds", () => {
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration(0), 0);
});

Deno.test("parseDuration() refuses text without a unit, showing it with one", () => {
  for (
    const [bare, fix] of [["5", '"5s"'], [" 250 ", '"250s"'], ["0", '"0s"'], ["1.5", '"1.5s"']]
  ) {
    assert.equal(tryParseDuration(bare), undefined, bare);
    assert.throws(() => parseDuration(bare), {
      name: "RangeError",
      message: new RegExp(`^Cannot parse duration .*: a number needs a unit: write ${fix} for`),
    });
  }
});

Deno.test("tryParseDuration() rejects what is not a duration", () => {
  for (const bad of ["", "30 seconds", "5x", "s", "1h 30m", "-5s", "ms10"]) {
    assert.equal(tryParseDuration(bad), undefined, bad);
  }
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.equal(tryParseDuration(bad), undefined, String(bad));
  }
});

Deno.test("parseDuration() throws a RangeError that shows the value and the fix", () => {
  assert.throws(() => parseDuration("soon"), {
    name: "RangeError",
    message: /Cannot parse duration "soon": write a number followed by ms, s, m, h or d/,
  });
});

Deno.test("parseDuration() says a number of milliseconds must be finite and not negative", () => {
  for (const [bad, shown] of [[-1, "-1"], [Number.NaN, "NaN"], [Infinity, "Infinity"]] as const) {
    assert.throws(() => parseDuration(bad), {
      name: "RangeError",
      message: new RegExp(
        `^Cannot parse duration ${shown}: milliseconds must be a finite number, 0 or more$`,
      ),
    });
  }
});

Deno.test("formatDuration() writes the shortest combination of units", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(30_000), "30s");
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(86_400_000 + 1), "1d1ms");
});

Deno.test("formatDuration() output parses back to the same milliseconds", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (ms) => {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }),
    { numRuns: 2_000 },
  );
});
