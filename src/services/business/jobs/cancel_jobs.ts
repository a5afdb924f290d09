import { checkJobId, encodeJson } from "../../../core/envelope.ts";
import { inWindows } from "../../../core/in_windows.ts";
import { transition } from "../../../core/transition.ts";
import { ErrorCode, NaqError } from "../../../errors.ts";
import { type JobContext, PUBLISH_WINDOW } from "./job_context.ts";

/**
 * Cancels a job that has not finished. A delayed or waiting job never runs; a running one
 * has its `ctx.signal` aborted on whichever worker runs it, and its outcome is dropped.
 *
 * @param options `notStarted` leaves a running job alone (returns false), as a purge does
 * @returns true when cancelled; false when unknown or finished
 */
export async function cancelJob(
  context: JobContext,
  queue: string,
  jobId: string,
  options: { readonly notStarted?: boolean } = {},
): Promise<boolean> {
  const { jobs, connection, clock, config } = context;
  checkJobId(jobId);
  while (true) {
    const latest = await jobs.messages.latest(queue, jobId);
    const job = latest && await jobs.recordOf(queue, latest);
    if (!latest || !job) return false;
    if (options.notStarted && job.state === "active") return false;
    const step = transition(job, { type: "cancelled", at: clock.now() });
    if (step.kind === "unchanged") return false; // it finished
    const cancelled = step.job;
    const scheduled = latest.kind === "delayed" || latest.kind === "retry";
    const write = (expectLast: number) =>
      jobs.messages.write(queue, jobId, "cancelled", encodeJson(cancelled), {
        attempt: job.attempt,
        expectLast,
        ttlMs: config.results.ttl,
      });
    let seq: number | null;
    if (scheduled) {
      // a schedule goes first: once removed it cannot fire; if it fired meanwhile, the job is
      // a run message now, which the next turn cancels
      if (!await jobs.messages.remove(queue, latest.seq)) continue;
      seq = await endUnscheduled(() => jobs.messages.latest(queue, jobId), write);
    } else {
      seq = await write(latest.seq);
      if (seq === null) continue; // it moved on meanwhile: look again
    }
    if (!scheduled) {
      // always, and first: a worker may be taking the message at this very moment
      connection.publish(jobs.names.cancelSubject(queue, jobId), job.nonce);
      await jobs.messages.remove(queue, latest.seq);
    }
    // the producer waiting on it hears of it
    if (latest.notify) connection.publish(latest.notify, encodeJson(cancelled));
    context.events.emitJob("cancelled", cancelled);
    return true;
  }
}

// how often the record of a job whose schedule was removed is tried before giving up
const UNSCHEDULED_WRITES = 10;

/**
 * Stores the cancelled record of a job whose schedule this cancel removed: the job is this
 * record now, or nothing. It goes on whatever message of the job is left: none, or the run
 * message that the attempt which scheduled a retry is still acknowledging.
 */
async function endUnscheduled(
  left: () => Promise<{ readonly seq: number } | null>,
  write: (expectLast: number) => Promise<number | null>,
): Promise<number> {
  let failure: unknown;
  for (let tries = 0; tries < UNSCHEDULED_WRITES; tries++) {
    try {
      const seq = await write((await left())?.seq ?? 0);
      if (seq !== null) return seq;
    } catch (err) {
      failure = err;
    }
  }
  throw new NaqError(
    ErrorCode.Unavailable,
    `Cannot store the cancelled record of a job after ${UNSCHEDULED_WRITES} tries: its ` +
      `schedule was removed, so it will not run; enqueue it again if it should`,
    { cause: failure },
  );
}

/**
 * Cancels every job of the queue that has not started (delayed, waiting, or waiting to
 * retry).
 *
 * @param onProgress told after each job, for a progress display
 * @returns how many were cancelled
 */
export async function purgeJobs(
  context: JobContext,
  queue: string,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const { jobs } = context;
  // cancel, not a stream purge: that would also delete the messages of running jobs
  if (!await jobs.exists(queue)) return 0;
  const delivered = await jobs.delivered(queue);
  const pending: string[] = [];
  for await (const { jobId, message } of jobs.messages.all(queue)) {
    const waiting = message.kind === "run" && message.seq > delivered;
    if (waiting || message.kind === "delayed" || message.kind === "retry") pending.push(jobId);
  }
  let done = 0;
  const cancelled = await inWindows(pending, PUBLISH_WINDOW, async (id) => {
    const ok = await cancelJob(context, queue, id, { notStarted: true });
    onProgress?.(++done, pending.length);
    return ok;
  });
  return cancelled.filter(Boolean).length;
}
