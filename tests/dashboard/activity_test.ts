import assert from "node:assert/strict";
import type { JobEvent, JobEventType } from "../../src/core/job_event.ts";
import { Activity, ACTIVITY_MINUTES, failureRates } from "../../src/dashboard/activity.ts";
import { jobTimeline } from "../../src/dashboard/timeline.ts";
import type { JobRecord } from "../../src/core/job.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 2, 9, 30, 15);

function event(type: JobEventType, at: number, queue = "q", attempt = 1): JobEvent {
  return { type, queue, jobId: "j", task: "t", at, attempt };
}

Deno.test("Activity counts completed jobs and failed attempts per minute, over the last hour", () => {
  const activity = new Activity();
  activity.record(event("completed", NOW));
  activity.record(event("completed", NOW - 1_000));
  activity.record(event("failed", NOW - MINUTE));
  activity.record(event("completed", NOW - (ACTIVITY_MINUTES + 1) * MINUTE)); // too old
  activity.record(event("enqueued", NOW)); // counted in neither
  activity.record(event("completed", NOW, "other"));
  const series = activity.series("q", NOW);
  assert.equal(series.completed.length, ACTIVITY_MINUTES);
  assert.equal(series.start, Math.floor(NOW / MINUTE) * MINUTE - (ACTIVITY_MINUTES - 1) * MINUTE);
  assert.equal(series.completed.at(-1), 2);
  assert.equal(series.failed.at(-2), 1);
  assert.equal(series.completed.reduce((a, b) => a + b), 2);
  assert.deepEqual(failureRates(series).slice(-3), [null, 1, 0]);
  assert.equal(activity.series("none", NOW).completed.every((count) => count === 0), true);
});

Deno.test("jobTimeline() merges the record's steps with the events heard, each step once", () => {
  const job = {
    id: "j",
    queue: "q",
    task: "t",
    payload: null,
    attempt: 2,
    options: {
      attempts: 2,
      backoff: { type: "fixed", delay: 1, maxDelay: 1, jitter: 0, delays: [] },
      timeoutMs: 0,
    },
    nonce: "n",
    enqueuedAt: 1_000,
    errors: [{ attempt: 1, message: "boom", name: "Error", worker: "w1", at: 2_000 }],
    startedAt: 3_000,
    worker: "w2",
    state: "dead",
    finishedAt: 4_000,
    deadReason: "failed 2 attempts",
  } as unknown as JobRecord;
  const fromRecord = jobTimeline(job, []);
  assert.deepEqual(fromRecord.map((entry) => [entry.type, entry.attempt, entry.at]), [
    ["enqueued", 0, 1_000],
    ["failed", 1, 2_000],
    ["active", 2, 3_000],
    ["dead", 2, 4_000],
  ]);
  const heard = jobTimeline(job, [
    { ...event("active", 3_001, "q", 2) },
    { ...event("progress", 3_500, "q", 2), data: { done: 0.5 } },
  ]);
  assert.deepEqual(heard.map((entry) => `${entry.type}/${entry.source}`), [
    "enqueued/record",
    "failed/record",
    "active/event",
    "progress/event",
    "dead/record",
  ]);
  assert.equal(heard[3].detail, '{"done":0.5}');
});
