import assert from "node:assert/strict";
import type { JobRecord, JobState } from "../../src/core/job.ts";

/** `job`, asserted to be in `state`, with the fields of that state. */
export function inState<S extends JobState>(
  job: JobRecord | null | undefined,
  state: S,
): Extract<JobRecord, { state: S }> {
  assert.ok(job, `a job in state ${state}, not ${job}`);
  assert.equal(job.state, state);
  return job as Extract<JobRecord, { state: S }>;
}
