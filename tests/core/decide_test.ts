import assert from "node:assert/strict";
import type { BackoffSettings } from "../../src/config/types.ts";
import fc from "fast-check";
import { type ClaimFacts, decide, decideClaim } from "../../src/core/decide.ts";
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

const facts = (over: Partial<ClaimFacts> = {}): ClaimFacts => ({
  attempt: 0,
  attempts: 3,
  deliveries: 1,
  maxStalls: 3,
  task: "send",
  hasTask: true,
  worker: "w1",
  movedOn: false,
  ...over,
});

Deno.test("decideClaim() runs the next attempt, drops a message its job moved on from, and kills poison", () => {
  assert.deepEqual(decideClaim(facts()), { kind: "run", attempt: 1 });
  assert.deepEqual(decideClaim(facts({ movedOn: true, hasTask: false })), { kind: "drop" });
  assert.deepEqual(decideClaim(facts({ hasTask: false })), {
    kind: "dead",
    attempt: 0,
    reason: 'no task named "send" is registered with worker w1',
  });
  // a stall runs the same attempt again; one past maxStalls kills it
  assert.deepEqual(decideClaim(facts({ attempt: 1, deliveries: 4 })), { kind: "run", attempt: 2 });
  assert.deepEqual(decideClaim(facts({ attempt: 1, deliveries: 5 })), {
    kind: "dead",
    attempt: 2,
    reason: "attempt 2 of 3 stopped without an outcome 4 times (its workers stopped or lost " +
      "their connection), more than maxStalls (3)",
  });
});

type Happening = "succeeds" | "fails" | "stalls" | "unrecoverable";

/**
 * A job's whole life as decideClaim() and decide() make it, for a sequence of what happens to
 * each run: returns how it ended, and the attempt of every run.
 */
function live(happenings: readonly Happening[], attempts: number, maxStalls: number) {
  let message = { attempt: 0, deliveries: 1 };
  const runs: number[] = [];
  for (const happening of happenings) {
    const claim = decideClaim(facts({ ...message, attempts, maxStalls }));
    if (claim.kind !== "run") return { end: claim.kind, runs };
    runs.push(claim.attempt);
    if (happening === "stalls") {
      message = { ...message, deliveries: message.deliveries + 1 };
      continue;
    }
    const next = decide(
      job(claim.attempt, attempts),
      happening === "succeeds" ? { kind: "succeeded", result: null } : {
        kind: "failed",
        error: happening === "fails" ? new Error("x") : new UnrecoverableError("x"),
      },
      0,
    );
    if (next.kind !== "retry") return { end: next.kind, runs };
    message = { attempt: claim.attempt, deliveries: 1 };
  }
  return { end: "pending", runs };
}

Deno.test("every life of a job ends: at most attempts attempts, each run at most maxStalls + 1 times", () => {
  const happening = fc.constantFrom<Happening>("succeeds", "fails", "stalls", "unrecoverable");
  fc.assert(
    fc.property(
      fc.array(happening, { maxLength: 60 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 4 }),
      (happenings, attempts, maxStalls) => {
        const { end, runs } = live(happenings, attempts, maxStalls);
        // attempts only grow, never past the job's, and each is run at most maxStalls + 1 times
        assert.ok(runs.every((attempt, i) => i === 0 || attempt >= runs[i - 1]));
        assert.ok(runs.every((attempt) => attempt >= 1 && attempt <= attempts));
        for (let attempt = 1; attempt <= attempts; attempt++) {
          assert.ok(runs.filter((run) => run === attempt).length <= maxStalls + 1);
        }
        // a life long enough always ends, completed or dead; a bounded number of runs does it
        const bound = attempts * (maxStalls + 1) + 1;
        if (happenings.length >= bound) assert.notEqual(end, "pending");
        if (end === "complete") assert.equal(happenings[runs.length - 1], "succeeds");
      },
    ),
  );
});
