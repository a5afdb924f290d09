import assert from "node:assert/strict";
import type { BackoffSettings } from "../../src/config/types.ts";
import { decide } from "../../src/core/decide.ts";
import type { JobRecord } from "../../src/core/job.ts";
import { UnrecoverableError } from "../../src/errors.ts";

function job(attempt: number, attempts: number, backoff: Partial<BackoffSettings> = {}): JobRecord {
  return {
    id: "job-1",
    queue: "emails",
    task: "send",
    payload: null,
    state: "active",
    attempt,
    options: {
      attempts,
      timeoutMs: 0,
      backoff: {
        type: "exponential",
        delay: 100,
        maxDelay: 60_000,
        jitter: 0,
        delays: [],
        ...backoff,
      },
    },
    nonce: "n",
    enqueuedAt: 0,
    errors: [],
  };
}

const failed = { kind: "failed", error: new Error("boom") } as const;

Deno.test("decide() completes a job whose attempt succeeded, keeping the result", () => {
  const result = { sent: 3 };
  assert.deepEqual(decide(job(1, 3), { kind: "succeeded", result }, 0.5), {
    kind: "complete",
    result,
  });
});

Deno.test("decide() completes a successful last attempt too", () => {
  assert.deepEqual(decide(job(3, 3), { kind: "succeeded", result: null }, 0.5), {
    kind: "complete",
    result: null,
  });
});

Deno.test("decide() schedules a retry while attempts remain, after the backoff delay", () => {
  assert.deepEqual(decide(job(1, 4), failed, 0.5), { kind: "retry", delayMs: 100 });
  assert.deepEqual(decide(job(2, 4), failed, 0.5), { kind: "retry", delayMs: 200 });
  assert.deepEqual(decide(job(3, 4), failed, 0.5), { kind: "retry", delayMs: 400 });
});

Deno.test("decide() applies the job's own backoff with the random number it is given", () => {
  const listed = job(2, 5, { type: "list", delays: [5, 7], jitter: 0.5 });
  assert.deepEqual(decide(listed, failed, 0), { kind: "retry", delayMs: 4 }); // 7 * 0.5
  assert.deepEqual(decide(listed, failed, 0.5), { kind: "retry", delayMs: 7 });
});

Deno.test("decide() sends a job to the dead letters after its last attempt, saying why", () => {
  assert.deepEqual(decide(job(4, 4), failed, 0.5), {
    kind: "dead",
    reason: "failed 4 of 4 attempts",
  });
});

Deno.test("decide() says 'attempt' in the singular for a job with one attempt", () => {
  assert.deepEqual(decide(job(1, 1), failed, 0.5), {
    kind: "dead",
    reason: "failed 1 of 1 attempt",
  });
});

Deno.test("decide() treats any thrown value, not only an Error, as a failure", () => {
  assert.equal(decide(job(1, 2), { kind: "failed", error: "a string" }, 0.5).kind, "retry");
  assert.equal(decide(job(2, 2), { kind: "failed", error: undefined }, 0.5).kind, "dead");
});

Deno.test("an UnrecoverableError makes the job dead at once, whatever attempts are left", () => {
  const decision = decide(job(1, 5), {
    kind: "failed",
    error: new UnrecoverableError("the account is closed"),
  }, 0);
  assert.deepEqual(decision, {
    kind: "dead",
    reason: "unrecoverable on attempt 1: the account is closed",
  });
  // any other error with attempts left is retried
  assert.equal(decide(job(1, 5), { kind: "failed", error: new Error("x") }, 0).kind, "retry");
});
