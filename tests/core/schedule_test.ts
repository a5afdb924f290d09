import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkScheduleId,
  checkTiming,
  firingJobId,
  firstInstant,
  nextInstant,
  planFiring,
  type ScheduleRecord,
} from "../../src/core/schedule.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12); // a Monday, noon UTC

function schedule(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  const base: ScheduleRecord = {
    id: "s",
    queue: "jobs",
    task: "t",
    payload: null,
    timing: { every: MINUTE },
    missed: "once",
    jobOptions: {},
    paused: false,
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    nextRunAt: null,
    firings: 0,
  };
  const merged = { ...base, ...overrides };
  return { ...merged, nextRunAt: overrides.nextRunAt ?? firstInstant(merged, merged.createdAt) };
}

/** Fires `s` at `now` as often as it is due, the way a scheduler does step by step. */
function runUntil(
  s: ScheduleRecord,
  now: number,
  missedAfter = MINUTE,
): [ScheduleRecord, number[]] {
  const fired: number[] = [];
  while (true) {
    const plan = planFiring(s, now, missedAfter);
    if (!plan) return [s, fired];
    if (plan.fireFor !== null) fired.push(plan.fireFor);
    s = { ...s, ...plan.next };
  }
}

Deno.test("every fires one interval after creation, or at its start", () => {
  assert.equal(schedule().nextRunAt, T0 + MINUTE);
  assert.equal(schedule({ startAt: T0 + 10 * MINUTE }).nextRunAt, T0 + 10 * MINUTE);
});

Deno.test("every does not drift: late steps fire for the planned instants", () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 60 }),
    (lateness) => {
      let s = schedule({ timing: { every: MINUTE } });
      const fired: number[] = [];
      for (const late of lateness) {
        // each step comes up to 50 s late, as a busy or failing-over scheduler might
        const [next, now] = runUntil(s, s.nextRunAt! + late);
        s = next;
        fired.push(...now);
      }
      fired.forEach((at, i) => assert.equal(at, T0 + (i + 1) * MINUTE));
    },
  ));
});

Deno.test("cron fires at the right local instants across DST changes (New York, Paris)", () => {
  const tz = "America/New_York";
  // 02:30 does not exist on 8 March 2026: that day it fires at 03:00 EDT
  const daily = schedule({
    timing: { cron: "30 2 * * *", tz },
    createdAt: Date.UTC(2026, 2, 6, 12),
  });
  const [, spring] = runUntil(daily, Date.UTC(2026, 2, 10, 12), 10 * 24 * 60 * MINUTE);
  assert.deepEqual(spring.map((at) => new Date(at).toISOString()), [
    "2026-03-07T07:30:00.000Z", // 02:30 EST
    "2026-03-08T07:00:00.000Z", // 03:00 EDT, the first instant after the gap
    "2026-03-09T06:30:00.000Z", // 02:30 EDT
    "2026-03-10T06:30:00.000Z",
  ]);
  // 01:00 happens twice on 1 November 2026: an hourly cron fires at both
  const hourly = schedule({
    timing: { cron: "0 * * * *", tz },
    createdAt: Date.UTC(2026, 10, 1, 4, 30),
  });
  const [, fall] = runUntil(hourly, Date.UTC(2026, 10, 1, 8), 10 * 60 * MINUTE);
  assert.deepEqual(fall.map((at) => new Date(at).toISOString()), [
    "2026-11-01T05:00:00.000Z", // 01:00 EDT
    "2026-11-01T06:00:00.000Z", // 01:00 EST
    "2026-11-01T07:00:00.000Z", // 02:00 EST
    "2026-11-01T08:00:00.000Z",
  ]);
  // and a daily 09:00 stays at 09:00 local on both sides of the change
  const morning = schedule({
    timing: { cron: "0 9 * * *", tz: "Europe/Paris" },
    createdAt: Date.UTC(2026, 2, 27),
  });
  const [, paris] = runUntil(morning, Date.UTC(2026, 2, 31), 10 * 24 * 60 * MINUTE);
  assert.deepEqual(paris.map((at) => new Date(at).toISOString()), [
    "2026-03-27T08:00:00.000Z",
    "2026-03-28T08:00:00.000Z",
    "2026-03-29T07:00:00.000Z",
    "2026-03-30T07:00:00.000Z",
  ]);
});

Deno.test("missed firings: once fires one job for them all, skip fires none", () => {
  const down = T0 + 60 * MINUTE + 30_000; // an hour of every-minute firings missed
  const [once, onceFired] = runUntil(schedule(), down);
  assert.deepEqual(onceFired, [T0 + MINUTE]);
  assert.equal(once.nextRunAt, T0 + 61 * MINUTE);
  assert.equal(once.firings, 1);
  const [skip, skipFired] = runUntil(schedule({ missed: "skip" }), down);
  assert.deepEqual(skipFired, []);
  assert.equal(skip.nextRunAt, T0 + 61 * MINUTE);
  assert.equal(skip.firings, 0);
  // late by less than missedAfter (a failover): every firing is caught up, none is lost
  const [, caughtUp] = runUntil(schedule(), T0 + 3 * MINUTE + 30_000, 5 * MINUTE);
  assert.deepEqual(caughtUp, [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
});

Deno.test("repeat, startAt and endAt bound the firings", () => {
  const [repeated, three] = runUntil(schedule({ repeat: 3 }), T0 + 10 * MINUTE, Infinity);
  assert.equal(three.length, 3);
  assert.equal(repeated.nextRunAt, null);
  const [ended, untilEnd] = runUntil(
    schedule({ endAt: T0 + 4 * MINUTE + 1 }),
    T0 + 10 * MINUTE,
    Infinity,
  );
  assert.deepEqual(untilEnd, [1, 2, 3, 4].map((i) => T0 + i * MINUTE));
  assert.equal(ended.nextRunAt, null);
  const cron = schedule({ timing: { cron: "0 * * * *" }, startAt: T0 + 150 * MINUTE });
  assert.equal(cron.nextRunAt, T0 + 180 * MINUTE);
  assert.equal(schedule({ endAt: T0 + 1 }).nextRunAt, null);
});

Deno.test("a paused schedule plans nothing", () => {
  assert.equal(planFiring(schedule({ paused: true }), T0 + 10 * MINUTE, MINUTE), null);
});

Deno.test("bad timings and ids are refused with what to do", () => {
  assert.throws(() => checkTiming({ cron: "61 * * * *" }), {
    name: "RangeError",
    message: /^Cannot schedule with cron "61 \* \* \* \*": /,
  });
  assert.throws(() => checkTiming({ cron: "0 9 * * *", tz: "Mars/Olympus" }), {
    name: "RangeError",
    message:
      /^Cannot schedule with cron "0 9 \* \* \*" in time zone "Mars\/Olympus": it is not a time zone; use an IANA name such as "Europe\/Paris"/,
  });
  assert.doesNotThrow(() => checkTiming({ cron: "0 9 * * *", tz: "Europe/Paris" }));
  assert.throws(() => checkTiming({ every: 0 }), {
    message: "Cannot schedule every 0 ms: use a positive whole number of ms, or a duration " +
      'such as "30s"',
  });
  assert.throws(() => checkTiming(undefined as never), {
    message: "Cannot schedule without a timing: give { cron, tz? } or { every }",
  });
  assert.throws(() => checkScheduleId("a.b"), { name: "TypeError", message: /schedule id/ });
});

Deno.test("a firing's job id is the same on every replica, and differs for a new schedule", () => {
  const s = schedule();
  assert.equal(firingJobId(s, T0 + MINUTE), firingJobId({ ...s }, T0 + MINUTE));
  assert.notEqual(
    firingJobId(s, T0 + MINUTE),
    firingJobId({ ...s, createdAt: T0 + 1 }, T0 + MINUTE),
  );
  assert.match(firingJobId(s, T0 + MINUTE), /^s-[0-9a-z]+-[0-9a-z]+$/);
  assert.equal(nextInstant({ every: 10 }, 5, 4), 5);
});
