import assert from "node:assert/strict";
import fc from "fast-check";
import type { BackoffSettings } from "../../src/core/settings.ts";
import { isFinished, type JobRecord } from "../../src/core/job.ts";
import {
  type Occurrence,
  OCCURRENCE_TYPES,
  type Step,
  transition,
} from "../../src/core/transition.ts";
import { UnrecoverableError } from "../../src/errors.ts";
import { inState } from "../helpers/in_state.ts";

const AT = 1_000;

function waiting(attempt: number, attempts: number, backoff: Partial<BackoffSettings> = {}) {
  return {
    id: "job-1",
    queue: "emails",
    task: "send",
    payload: null,
    state: "waiting",
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
  } as const satisfies JobRecord;
}

const claim = (over: Partial<Occurrence & { type: "claimed" }> = {}): Occurrence => ({
  type: "claimed",
  at: AT,
  worker: "w1",
  deliveries: 1,
  maxStalls: 3,
  hasTask: true,
  stale: false,
  ...over,
});

function failure(error: unknown, attempt: number): Occurrence {
  return {
    type: "failed",
    at: AT,
    error,
    failure: { attempt, message: String(error), name: "Error", worker: "w1", at: AT },
    random: 0.5,
  };
}

/** The job after `occurrence`, which must move it. */
function moved(job: JobRecord, occurrence: Occurrence): JobRecord {
  const step = transition(job, occurrence);
  assert.equal(step.kind, "moved", `${occurrence.type} of a ${job.state} job`);
  return (step as Step & { kind: "moved" }).job;
}

/** The job running its attempt `attempt` of `attempts`. */
function active(attempt: number, attempts: number, backoff?: Partial<BackoffSettings>) {
  return moved(waiting(attempt - 1, attempts, backoff), claim());
}

Deno.test("a claim runs a waiting job's next attempt, on that worker, from then", () => {
  assert.deepEqual(moved(waiting(0, 3), claim()), {
    ...waiting(0, 3),
    state: "active",
    attempt: 1,
    startedAt: AT,
    worker: "w1",
  });
});

Deno.test("a claim lets go of a message its job moved on from", () => {
  assert.deepEqual(transition(waiting(0, 3), claim({ stale: true, hasTask: false })), {
    kind: "unchanged",
    reason: "it moved on without this message",
  });
});

Deno.test("a claim by a worker without the job's task makes it dead, never started", () => {
  const dead = moved(waiting(0, 3), claim({ hasTask: false }));
  assert.equal(dead.state, "dead");
  assert.equal(dead.attempt, 0);
  assert.equal(dead.deadReason, 'no task named "send" is registered with worker w1');
});

Deno.test("a stall runs the same attempt again; one past maxStalls makes the job dead", () => {
  assert.equal(moved(waiting(1, 3), claim({ deliveries: 4 })).attempt, 2);
  const dead = moved(waiting(1, 3), claim({ deliveries: 5 }));
  assert.equal(dead.state, "dead");
  assert.equal(
    dead.deadReason,
    "attempt 2 of 3 stopped without an outcome 4 times (its workers stopped or lost " +
      "their connection), more than maxStalls (3)",
  );
});

Deno.test("success completes a job, keeping the result, on its last attempt too", () => {
  for (const attempt of [1, 3]) {
    const job = moved(active(attempt, 3), { type: "succeeded", at: AT + 5, result: { sent: 3 } });
    assert.equal(job.state, "completed");
    assert.deepEqual(job.result, { sent: 3 });
    assert.equal(job.finishedAt, AT + 5);
  }
});

Deno.test("a failure schedules a retry after the backoff while attempts remain", () => {
  for (const [attempt, delay] of [[1, 100], [2, 200], [3, 400]]) {
    const step = transition(active(attempt, 4), failure(new Error("boom"), attempt));
    assert.equal(step.kind, "moved");
    const { job, retryInMs } = step as Step & { kind: "moved" };
    assert.equal(job.state, "failed");
    assert.equal(retryInMs, delay);
    assert.equal(job.retryAt, AT + delay);
    assert.deepEqual(job.errors.map((error) => error.attempt), [attempt]);
  }
});

Deno.test("a failure applies the job's own backoff with the random number it is given", () => {
  const listed = active(2, 5, { type: "list", delays: [5, 7], jitter: 0.5 });
  const at = (random: number) => transition(listed, { ...failure("x", 2), random } as Occurrence);
  assert.equal((at(0) as Step & { kind: "moved" }).retryInMs, 4); // 7 * 0.5, rounded
  assert.equal((at(0.5) as Step & { kind: "moved" }).retryInMs, 7);
});

Deno.test("the last attempt's failure makes the job dead, saying why, in the singular too", () => {
  assert.equal(
    inState(moved(active(4, 4), failure("x", 4)), "dead").deadReason,
    "failed 4 of 4 attempts",
  );
  assert.equal(
    inState(moved(active(1, 1), failure("x", 1)), "dead").deadReason,
    "failed 1 of 1 attempt",
  );
});

Deno.test("any thrown value fails an attempt, not only an Error", () => {
  assert.equal(moved(active(1, 2), failure("a string", 1)).state, "failed");
  assert.equal(moved(active(2, 2), failure(undefined, 2)).state, "dead");
});

Deno.test("an UnrecoverableError makes the job dead at once, whatever attempts are left", () => {
  const dead = inState(
    moved(active(1, 5), failure(new UnrecoverableError("the account is closed"), 1)),
    "dead",
  );
  assert.equal(dead.deadReason, "unrecoverable on attempt 1: the account is closed");
  assert.equal(dead.errors.length, 1);
});

Deno.test("a hand-back makes the job waiting again, its attempt not counted", () => {
  const job = moved(active(2, 3), { type: "handed back" });
  assert.equal(job.state, "waiting");
  assert.equal(job.attempt, 1);
});

Deno.test("a cancel ends any job not finished, and no finished one", () => {
  const delayed: JobRecord = { ...waiting(0, 3), state: "delayed", runAt: AT + 60_000 };
  for (const job of [waiting(0, 3), delayed, active(1, 3), moved(active(1, 3), failure("x", 1))]) {
    const cancelled = moved(job, { type: "cancelled", at: AT });
    assert.deepEqual(Object.keys(cancelled).filter((key) => /At$/.test(key)).sort(), [
      "enqueuedAt",
      "finishedAt",
      ...("startedAt" in cancelled ? ["startedAt"] : []),
    ]);
  }
  const completed = moved(active(1, 3), { type: "succeeded", at: AT, result: 1 });
  assert.equal(transition(completed, { type: "cancelled", at: AT }).kind, "unchanged");
});

Deno.test("a revive runs a dead job from its first attempt, with a new nonce", () => {
  const dead = moved(active(3, 3), failure("x", 3));
  const revived = moved(dead, { type: "revived", nonce: "n2" });
  assert.deepEqual(revived, { ...waiting(0, 3), nonce: "n2" });
  const completed = moved(active(1, 3), { type: "succeeded", at: AT, result: 1 });
  assert.deepEqual(transition(completed, { type: "revived", nonce: "n3" }), {
    kind: "unchanged",
    reason: "it is completed, and cannot be revived",
  });
});

// the fields each state has beyond those of every job
const STATE_FIELDS: Record<JobRecord["state"], readonly string[]> = {
  waiting: [],
  delayed: ["runAt"],
  active: [],
  failed: ["retryAt"],
  completed: ["finishedAt", "result"],
  dead: ["finishedAt", "deadReason", "deadLetterSeq"],
  cancelled: ["finishedAt"],
};
const OWN_FIELDS = new Set(Object.values(STATE_FIELDS).flat());

/** What may happen next in a life: an occurrence, or a worker stopping without an outcome. */
type Event = Occurrence["type"] | "worker stopped";

// what can happen to a job in each state, as the services let it
const NEXT: Record<JobRecord["state"], readonly Event[]> = {
  waiting: ["claimed", "claimed", "claimed", "cancelled"],
  delayed: ["came due", "came due", "cancelled"],
  active: [
    "succeeded",
    "failed",
    "failed",
    "worker stopped",
    "handed back",
    "gave up",
    "cancelled",
  ],
  failed: ["came due", "came due", "cancelled"],
  completed: [],
  dead: ["revived"],
  cancelled: [],
};

function occurrenceOf(type: Occurrence["type"], job: JobRecord, life: Life, n: number) {
  const at = AT + n;
  switch (type) {
    case "claimed":
      return claim({ at, deliveries: life.deliveries, maxStalls: life.maxStalls });
    case "succeeded":
      return { type, at, result: n };
    case "failed":
      return failure(n % 7 === 0 ? new UnrecoverableError("no") : new Error("x"), job.attempt);
    case "gave up":
      return { type, at, reason: "too large" };
    case "handed back":
    case "came due":
      return { type };
    case "cancelled":
      return { type, at };
    case "revived":
      return { type, nonce: `n${n}` };
  }
}

interface Life {
  readonly maxStalls: number;
  /** Deliveries of the job's run message so far. */
  deliveries: number;
}

/**
 * Lives a job through `choices` (each picks one of what can happen next), checking its record
 * after every step; returns the job and the runs of its attempts since it was last revived.
 */
function live(
  choices: readonly number[],
  attempts: number,
  maxStalls: number,
  allowed: (event: Event) => boolean,
) {
  let job: JobRecord = waiting(0, attempts);
  const life: Life = { maxStalls, deliveries: 1 };
  let runs = 0;
  for (const [n, choice] of choices.entries()) {
    const next = NEXT[job.state].filter(allowed);
    if (next.length === 0) break;
    const type = next[choice % next.length];
    if (type === "worker stopped") {
      // the message comes back as it was: the attempt before, one delivery more
      job = moved(job, { type: "handed back" });
      life.deliveries += 1;
      continue;
    }
    const before = job;
    job = moved(job, occurrenceOf(type, job, life, n));
    // a new message for the job: its deliveries start again
    if (type === "came due" || type === "handed back" || type === "revived") life.deliveries = 1;
    if (type === "claimed" && job.state === "active") runs += 1;
    if (type === "handed back") runs -= 1; // not counted: the worker stopped gracefully
    if (type === "revived") runs = 0;

    // a finished job moves only when a dead one is revived
    if (isFinished(before)) assert.equal(`${before.state} ${type}`, "dead revived");
    // each state has its own fields, and none of another's
    for (const field of Object.keys(job)) {
      if (OWN_FIELDS.has(field)) assert.ok(STATE_FIELDS[job.state].includes(field), field);
    }
    if (job.state === "dead") assert.ok(job.deadReason.length > 0);
    if (job.state === "failed") assert.ok(job.retryAt >= AT + n);
    // attempts stay within the job's, and each failed one left its error
    assert.ok(job.attempt >= 0 && job.attempt <= attempts, `attempt ${job.attempt}`);
    assert.ok(job.errors.length <= job.attempt);
    // an attempt runs at most maxStalls + 1 times
    assert.ok(runs <= attempts * (maxStalls + 1), `${runs} runs`);
  }
  return { job, runs };
}

const lives = {
  choices: fc.array(fc.nat(), { maxLength: 120 }),
  attempts: fc.integer({ min: 1, max: 5 }),
  maxStalls: fc.integer({ min: 0, max: 3 }),
};

Deno.test("every sequence of occurrences keeps a job's record whole, within its attempts", () => {
  fc.assert(
    fc.property(lives.choices, lives.attempts, lives.maxStalls, (choices, attempts, maxStalls) => {
      live(choices, attempts, maxStalls, () => true);
    }),
  );
});

Deno.test("without hand-backs, a job ends within attempts × (maxStalls + 1) runs", () => {
  fc.assert(
    fc.property(lives.choices, lives.attempts, lives.maxStalls, (choices, attempts, maxStalls) => {
      const { job } = live(
        choices,
        attempts,
        maxStalls,
        (event) => event !== "handed back" && event !== "revived",
      );
      // a run takes at most 3 steps (claim, failure, coming due), and a last claim may kill it
      if (choices.length > 3 * attempts * (maxStalls + 1)) assert.ok(isFinished(job));
    }),
  );
});

Deno.test("an occurrence that does not apply to a job's state changes nothing", () => {
  const delayed: JobRecord = { ...waiting(0, 3), state: "delayed", runAt: AT };
  const jobs: JobRecord[] = [waiting(0, 3), delayed, active(1, 3)];
  jobs.push(moved(active(1, 3), failure("x", 1)), moved(active(1, 3), failure("x", 1)));
  jobs.push(moved(active(1, 3), { type: "succeeded", at: AT, result: 1 }));
  jobs.push(
    moved(active(3, 3), failure("x", 3)),
    moved(waiting(0, 3), { type: "cancelled", at: AT }),
  );
  for (const job of jobs) {
    for (const type of OCCURRENCE_TYPES) {
      const step = transition(job, occurrenceOf(type, job, { maxStalls: 3, deliveries: 1 }, 0));
      const applies = (NEXT[job.state] as readonly string[]).includes(type);
      assert.equal(step.kind, applies ? "moved" : "unchanged", `${type} of a ${job.state} job`);
    }
  }
});
