import { checkJobId, encodeJson } from "../../../core/envelope.ts";
import { inWindows } from "../../../core/in_windows.ts";
import { transition } from "../../../core/transition.ts";
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
    // a schedule goes first: once removed it cannot fire; if it fired meanwhile, the job is a
    // run message now, which the next turn cancels
    if (scheduled && !await jobs.messages.remove(queue, latest.seq)) continue;
    const write = () =>
      jobs.messages.write(queue, jobId, "cancelled", encodeJson(cancelled), {
        attempt: job.attempt,
        // a job with a schedule has no other message left
        expectLast: scheduled ? 0 : latest.seq,
        ttlMs: config.results.ttl,
      });
    // once its schedule is removed, the job is this record or nothing: try it again
    const seq = await write().catch((err) => scheduled ? write() : Promise.reject(err));
    if (seq === null) continue; // it moved on meanwhile: look again
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
