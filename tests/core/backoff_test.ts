import assert from "node:assert/strict";
import fc from "fast-check";
import type { BackoffSettings } from "../../src/config/types.ts";
import { retryDelay } from "../../src/core/backoff.ts";

function backoff(settings: Partial<BackoffSettings>): BackoffSettings {
  return { type: "fixed", delay: 1_000, maxDelay: 3_600_000, jitter: 0, delays: [], ...settings };
}

// with jitter 0, `random` changes nothing; 0.5 is the middle of the jitter range anyway
const MID = 0.5;

Deno.test("retryDelay() of a fixed backoff waits the same delay after every attempt", () => {
  const fixed = backoff({ type: "fixed", delay: 250 });
  for (const attempt of [1, 2, 3, 10, 100]) {
    assert.equal(retryDelay(fixed, attempt, MID), 250, `attempt ${attempt}`);
  }
});

Deno.test("retryDelay() of an exponential backoff doubles the delay after each attempt", () => {
  const exponential = backoff({ type: "exponential", delay: 100 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => retryDelay(exponential, attempt, MID)),
    [100, 200, 400, 800, 1_600],
  );
});

Deno.test("retryDelay() of an exponential backoff stays finite and capped at huge attempts", () => {
  const exponential = backoff({ type: "exponential", delay: 1_000, maxDelay: 60_000 });
  assert.equal(retryDelay(exponential, 10_000, MID), 60_000);
  assert.equal(retryDelay(exponential, Number.MAX_SAFE_INTEGER, MID), 60_000);
});

Deno.test("retryDelay() of a list backoff takes each entry in turn, then repeats the last", () => {
  const list = backoff({ type: "list", delays: [10, 50, 300] });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 50].map((attempt) => retryDelay(list, attempt, MID)),
    [10, 50, 300, 300, 300, 300],
  );
});

Deno.test("retryDelay() of an empty list backoff falls back to 'delay'", () => {
  assert.equal(retryDelay(backoff({ type: "list", delay: 70, delays: [] }), 3, MID), 70);
});

Deno.test("retryDelay() treats an attempt below 1 as the first", () => {
  const exponential = backoff({ type: "exponential", delay: 100 });
  assert.equal(retryDelay(exponential, 0, MID), 100);
  assert.equal(retryDelay(exponential, -5, MID), 100);
});

Deno.test("retryDelay() moves the delay by at most ±jitter, at the extremes of random", () => {
  const jittered = backoff({ type: "fixed", delay: 1_000, jitter: 0.2 });
  assert.equal(retryDelay(jittered, 1, 0), 800);
  assert.equal(retryDelay(jittered, 1, 0.5), 1_000);
  assert.equal(retryDelay(jittered, 1, 0.999_999), 1_200);
});

Deno.test("retryDelay() caps the delay at maxDelay, jitter included", () => {
  const capped = backoff({ type: "exponential", delay: 1_000, maxDelay: 5_000, jitter: 0.5 });
  assert.equal(retryDelay(capped, 3, 0.999), 5_000); // 4 000 * 1.5 → capped
  assert.equal(retryDelay(capped, 10, 0), 5_000); // 512 000 * 0.5 → capped
  assert.equal(
    retryDelay(backoff({ type: "list", delays: [9_000], maxDelay: 2_000 }), 1, MID),
    2_000,
  );
});

Deno.test("retryDelay() returns whole milliseconds", () => {
  assert.equal(retryDelay(backoff({ delay: 333, jitter: 0.1 }), 1, 0.123), 308); // 333 * 0.9246
});

const anyBackoff: fc.Arbitrary<BackoffSettings> = fc.record({
  type: fc.constantFrom("fixed" as const, "exponential" as const, "list" as const),
  delay: fc.integer({ min: 0, max: 10_000_000 }),
  maxDelay: fc.integer({ min: 0, max: 100_000_000 }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  delays: fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 8 }),
});
const anyAttempt = fc.integer({ min: 1, max: 200 });
const anyRandom = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

Deno.test("retryDelay() is never negative nor above maxDelay (property)", () => {
  fc.assert(
    fc.property(anyBackoff, anyAttempt, anyRandom, (settings, attempt, random) => {
      const delay = retryDelay(settings, attempt, random);
      assert.ok(Number.isInteger(delay), `${delay} is not an integer`);
      assert.ok(delay >= 0, `${delay} is negative`);
      assert.ok(delay <= settings.maxDelay, `${delay} is above maxDelay ${settings.maxDelay}`);
    }),
  );
});

Deno.test("retryDelay() stays within ±jitter of the base delay under the cap (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      anyRandom,
      (base, jitter, random) => {
        const settings = backoff({ type: "fixed", delay: base, jitter, maxDelay: 10_000_000 });
        const delay = retryDelay(settings, 1, random);
        // rounding to whole milliseconds may move it by half a millisecond more
        assert.ok(delay >= base * (1 - jitter) - 0.5, `${delay} < ${base} - ${jitter * 100}%`);
        assert.ok(delay <= base * (1 + jitter) + 0.5, `${delay} > ${base} + ${jitter * 100}%`);
      },
    ),
  );
});

Deno.test("retryDelay() without jitter is exactly the base delay under the cap (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10_000 }),
      fc.integer({ min: 1, max: 20 }),
      anyRandom,
      (delay, attempt, random) => {
        const exponential = backoff({
          type: "exponential",
          delay,
          maxDelay: Number.MAX_SAFE_INTEGER,
        });
        assert.equal(retryDelay(exponential, attempt, random), delay * 2 ** (attempt - 1));
      },
    ),
  );
});
