import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { isNaqError } from "../../src/errors.ts";
import { ScheduleService } from "../../src/services/business/schedule_service.ts";
import type { JobRecord } from "../../src/core/job.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { schedulerSetup } from "./_setup.ts";

const MINUTE = 60_000;
const report = defineTask("report", (payload: { to: string }) => payload.to);

/** The jobs a schedule fired so far, by the instant they fired for. */
async function firedJobs(queue: { listJobs(): Promise<JobRecord[]> }, id: string) {
  return (await queue.listJobs())
    .filter((job) => job.schedule?.id === id)
    .sort((a, b) => a.schedule!.at - b.schedule!.at);
}

/**
 * Advances the clock by `ms` and waits until the schedule has fired `count` jobs in all and
 * settled (its next instant is in the future again, or it has none); fails at once on more.
 */
async function advanceAndWait(
  s: Awaited<ReturnType<typeof schedulerSetup>>,
  ms: number,
  id: string,
  count: number,
): Promise<JobRecord[]> {
  s.clock.advance(ms);
  let jobs: JobRecord[] = [];
  await waitFor(`${count} jobs from ${id}`, async () => {
    jobs = await firedJobs(s.queue, id);
    const at = jobs.map((job) => new Date(job.schedule!.at).toISOString());
    assert.ok(jobs.length <= count, `${id} fired ${jobs.length} jobs, for ${at.join(", ")}`);
    const schedule = await s.queue.getSchedule(id);
    return jobs.length === count &&
      (schedule?.nextRunAt === null || schedule!.nextRunAt! > s.clock.now());
  });
  return jobs;
}

/**
 * Waits until the leading scheduler holds no schedule in its index: none can fire any more,
 * however far the clock goes.
 */
async function waitForNothingToFire(s: Awaited<ReturnType<typeof schedulerSetup>>) {
  await waitFor("the scheduler to hold no schedule", () => s.scheduler.status.schedules === 0);
}

Deno.test("an every schedule fires a distinct job per instant, traceable to it, without drift", async () => {
  await using s = await schedulerSetup();
  const t0 = s.clock.now();
  const created = await s.queue.schedule("tick", report, { to: "ops" }, { every: "1m" });
  assert.equal(created.nextRunAt, t0 + MINUTE);
  await s.lead();
  await advanceAndWait(s, MINUTE, "tick", 1);
  // a scheduler that comes 40 s late still fires for the planned instants
  await advanceAndWait(s, MINUTE + 40_000, "tick", 2);
  const jobs = await advanceAndWait(s, 20_000, "tick", 3);
  // three records in the store: three jobs, each with an id of its own
  assert.deepEqual(jobs.map((job) => job.schedule?.at), [1, 2, 3].map((i) => t0 + i * MINUTE));
  assert.ok(jobs.every((job) => job.task === "report" && job.state === "waiting"));
  assert.deepEqual(jobs[0].payload, { to: "ops" });
  const schedule = await s.queue.getSchedule("tick");
  assert.equal(schedule?.firings, 3);
  assert.equal(schedule?.lastJobId, jobs[2].id);
});

Deno.test("a cron schedule fires at its local instants across a DST change", async () => {
  // Saturday 7 March 2026, noon in New York; clocks go forward on Sunday at 02:00
  await using s = await schedulerSetup({ start: Date.UTC(2026, 2, 7, 17) });
  await s.queue.schedule("nightly", "backup", null, { cron: "30 2 * * *", tz: "America/New_York" });
  await s.lead();
  let jobs: JobRecord[] = [];
  for (let day = 1; day <= 3; day++) {
    jobs = await advanceAndWait(s, 24 * 60 * MINUTE, "nightly", day);
  }
  assert.deepEqual(jobs.map((job) => new Date(job.schedule!.at).toISOString()), [
    "2026-03-08T07:00:00.000Z", // 02:30 does not exist that night: 03:00 EDT
    "2026-03-09T06:30:00.000Z", // 02:30 EDT
    "2026-03-10T06:30:00.000Z",
  ]);
});

Deno.test("pause stops firings, resume restarts from now without catching up", async () => {
  await using s = await schedulerSetup();
  await s.queue.schedule("tick", "t", null, { every: "1m" });
  await s.lead();
  await advanceAndWait(s, MINUTE, "tick", 1);
  const paused = await s.queue.pauseSchedule("tick");
  assert.equal(paused.paused, true);
  await waitForNothingToFire(s);
  s.clock.advance(10 * MINUTE);
  const resumed = await s.queue.resumeSchedule("tick");
  assert.equal(resumed.paused, false);
  assert.equal(resumed.nextRunAt, s.clock.now() + MINUTE);
  const jobs = await advanceAndWait(s, MINUTE, "tick", 2);
  assert.equal(jobs[1].schedule?.at, resumed.nextRunAt, "no instant of the pause fired");
});

Deno.test("repeat and endAt end a schedule; remove stops it and keeps its jobs", async () => {
  await using s = await schedulerSetup();
  const t0 = s.clock.now();
  await s.queue.schedule("thrice", "t", null, { every: "1m" }, { repeat: 3 });
  await s.queue.schedule("until", "t", null, { every: "1m" }, { endAt: t0 + 2 * MINUTE });
  await s.queue.schedule("gone", "t", null, { every: "1m" });
  await s.lead();
  await advanceAndWait(s, MINUTE, "gone", 1);
  assert.equal(await s.queue.removeSchedule("gone"), true);
  assert.equal(await s.queue.removeSchedule("gone"), false);
  assert.equal(await s.queue.getSchedule("gone"), null);
  await advanceAndWait(s, MINUTE, "thrice", 2);
  await advanceAndWait(s, MINUTE, "thrice", 3);
  await waitForNothingToFire(s);
  assert.equal((await s.queue.getSchedule("thrice"))?.nextRunAt, null);
  assert.equal((await firedJobs(s.queue, "until")).length, 2);
  assert.equal((await s.queue.getSchedule("until"))?.nextRunAt, null);
  assert.equal((await firedJobs(s.queue, "gone")).length, 1);
});

Deno.test("a concurrent update is refused, not lost; firings do not count as updates", async () => {
  await using s = await schedulerSetup();
  const created = await s.queue.schedule("tick", "t", { v: 0 }, { every: "1m" });
  await s.lead();
  await advanceAndWait(s, MINUTE, "tick", 1); // the scheduler changed the key meanwhile
  const updated = await s.queue.updateSchedule("tick", { payload: { v: 1 } }, {
    version: created.version,
  });
  assert.equal(updated.version, created.version + 1);
  const stale = s.queue.updateSchedule("tick", { payload: { v: 2 } }, { version: created.version });
  await assert.rejects(stale, (err) => {
    assert.ok(isNaqError(err) && err.code === "CONFLICT");
    assert.match(err.message, /was changed \(now version 2, expected 1\)/);
    return true;
  });
  // two updates racing from the same read: exactly one wins
  const results = await Promise.allSettled([
    s.queue.updateSchedule("tick", { payload: { v: 3 } }, { version: 2 }),
    s.queue.updateSchedule("tick", { payload: { v: 4 } }, { version: 2 }),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const winner = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<unknown>;
  assert.deepEqual(
    (await s.queue.getSchedule("tick"))?.payload,
    (winner.value as { payload: unknown }).payload,
  );
  const jobs = await advanceAndWait(s, MINUTE, "tick", 2);
  assert.deepEqual(jobs[1].payload, (winner.value as { payload: unknown }).payload);
});

Deno.test("updating the timing restarts the schedule from now", async () => {
  await using s = await schedulerSetup();
  await s.queue.schedule("tick", "t", null, { every: "1m" });
  const t1 = s.clock.now() + 30_000;
  s.clock.set(t1);
  const updated = await s.queue.updateSchedule("tick", { timing: { cron: "0 * * * *" } });
  assert.equal(updated.nextRunAt, Date.UTC(2026, 0, 5, 13));
  await assert.rejects(s.queue.updateSchedule("nope", { payload: 1 }), { code: "NOT_FOUND" });
});

Deno.test("declaring the same schedule again keeps it; a new definition replaces it", async () => {
  await using s = await schedulerSetup();
  const first = await s.queue.schedule("tick", "t", { a: 1 }, { every: "1m" });
  await s.queue.pauseSchedule("tick");
  const again = await s.queue.schedule("tick", "t", { a: 1 }, { every: 60_000 });
  assert.equal(again.paused, true);
  assert.equal(again.version, first.version + 1); // the pause
  const replaced = await s.queue.schedule("tick", "t", { a: 2 }, { every: "1m" });
  assert.deepEqual(replaced.payload, { a: 2 });
  assert.deepEqual((await s.queue.listSchedules()).map((x) => x.id), ["tick"]);
});

Deno.test("missed firings after downtime: once fires one job, skip fires none", async () => {
  await using s = await schedulerSetup();
  await s.queue.schedule("once", "t", null, { every: "1m" });
  await s.queue.schedule("skip", "t", null, { every: "1m" }, { missed: "skip" });
  s.clock.advance(3 * 60 * MINUTE + 30_000); // three hours with no scheduler running
  await s.lead();
  await waitFor(
    "the missed firings to be handled",
    async () => (await s.queue.listSchedules()).every((x) => x.nextRunAt! > s.clock.now()),
  );
  assert.equal((await firedJobs(s.queue, "once")).length, 1);
  assert.equal((await firedJobs(s.queue, "skip")).length, 0);
  await advanceAndWait(s, MINUTE, "skip", 1);
});

Deno.test("bad schedules are refused with what to do", async () => {
  await using s = await schedulerSetup();
  await assert.rejects(s.queue.schedule("x", "t", null, { cron: "every day" }), {
    name: "RangeError",
    message: /^Cannot schedule with cron "every day": /,
  });
  await assert.rejects(s.queue.schedule("x", "t", null, { every: "1m" }, { repeat: 0 }), {
    message: "Cannot schedule x with repeat 0: use a whole number from 1",
  });
  await assert.rejects(
    s.queue.schedule("x", "t", null, { every: "1m" }, { startAt: 10, endAt: 5 }),
    { message: /^Cannot schedule x: endAt \(1970-01-01T00:00:00.005Z\) is before startAt/ },
  );
  await assert.rejects(
    s.queue.schedule("x", "t", null, { every: "1m" }, { missed: "burst" as never }),
    { message: 'Cannot schedule x with missed: "burst"; use "once" or "skip"' },
  );
  await assert.rejects(s.queue.schedule("x", "t", null, { every: "1m" }, { attempts: 0 }), {
    name: "RangeError",
    message: /'attempts': Too small/,
  });
  await assert.rejects(s.queue.schedule("a b", "t", null, { every: "1m" }), { name: "TypeError" });
  assert.deepEqual(await s.queue.listSchedules(), []);
});

Deno.test("a schedule write the server refused does not move the leader's index", async () => {
  await using s = await schedulerSetup();
  await s.queue.schedule("tick", "t", null, { every: "1m" });
  await s.lead();
  await waitFor("the schedule to be indexed", () => s.scheduler.status.schedules === 1);
  const { bucket } = await s.services.get(ScheduleService);
  const key = wireNames("naq").scheduleKey("jobs", "tick");
  const current = (await bucket.get(key))!;
  // what the loser of two concurrent updates sends: a retimed schedule at a stale revision
  const retimed = {
    ...current.value,
    nextRunAt: current.value.nextRunAt! + 365 * 24 * 60 * MINUTE,
  };
  assert.equal(await bucket.update(key, retimed, current.revision + 7), null);
  await advanceAndWait(s, MINUTE, "tick", 1);
});
