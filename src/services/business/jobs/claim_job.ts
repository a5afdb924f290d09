/**
 * Claiming a delivered job message: the first verb of a worker's side of a job. It writes
 * nothing: the attempt travels in the message's headers, and "active" is the consumer's
 * knowledge that a worker holds the message.
 *
 * @module
 */
import {
  type GivenOptions,
  isJobId,
  parseEnvelope,
  resolveJobOptions,
  waitingRecord,
} from "../../../core/envelope.ts";
import type { JobRecord } from "../../../core/job.ts";
import { transition } from "../../../core/transition.ts";
import { type ClaimContext, ClaimedJob, isTooLarge } from "./claimed_job.ts";
import type { Delivery } from "../../core/queue_consumer.ts";
import { toBase64 } from "../dead_letter_service.ts";

/** What claiming needs: what a claimed job needs, but for the worker, who claims. */
export type ClaimDeps = Omit<ClaimContext, "worker">;

/** The message to claim, and for whom. */
export interface ClaimRequest {
  readonly queue: string;
  readonly delivery: Delivery;
  /** The worker's id. */
  readonly worker: string;
  /** The options of the worker's task of this name; `undefined` when it has no such task. */
  readonly taskOptions: (task: string) => GivenOptions | undefined;
  /** Told of a message dead-lettered at its claim, with a reason, for the worker's log. */
  readonly onDead?: (dead: DeadAtClaim) => void;
}

/** A message dead-lettered at its claim: what is known of its job, and why. */
export interface DeadAtClaim {
  readonly queue: string;
  /** Absent for a message that is not a job. */
  readonly task?: string;
  /** Absent for a message that is not a job. */
  readonly jobId?: string;
  readonly attempt?: number;
  readonly reason: string;
}

/**
 * Takes a delivered message for a worker: returns the job to run, or settles the message
 * itself and returns `null` when there is nothing to run: poison (not a job, or a task the
 * worker does not know), which is dead-lettered with its raw bytes, or a job whose workers
 * stopped without an outcome more often than the queue's `maxStalls`.
 */
export async function claimJob(
  deps: ClaimDeps,
  { queue, delivery, worker, taskOptions, onDead }: ClaimRequest,
): Promise<ClaimedJob | null> {
  const parsed = parseEnvelope(delivery.body);
  const invalidId = parsed.ok && !isJobId(parsed.envelope.id);
  if (!parsed.ok || invalidId) {
    const reason = parsed.ok
      ? `the job id ${JSON.stringify(parsed.envelope.id)} is not valid`
      : parsed.reason;
    try {
      await deps.deadLetters.add({
        queue,
        reason,
        worker,
        at: deps.clock.now(),
        raw: toBase64(delivery.body),
      });
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      // its bytes and the letter's few fields are over max_payload: nothing can keep it
      delivery.term();
      throw new RangeError(
        `Cannot dead-letter a message of queue ${queue} (${reason}): with the letter's ` +
          `fields it is over the server's max_payload; it was terminated`,
        { cause: err },
      );
    }
    delivery.ack();
    onDead?.({ queue, task: parsed.ok ? parsed.envelope.task : undefined, reason });
    return null;
  }
  const { envelope } = parsed;
  // delivered before, its worker may have stored an outcome and died before the ack
  const latest = delivery.deliveries > 1 ? await deps.messages.latest(queue, envelope.id) : null;
  const task = taskOptions(envelope.task);
  let options = envelope.options;
  if (task) {
    try {
      options = resolveJobOptions(deps.settings, task, envelope.given ?? {});
    } catch {
      // the task's own options are bad: the producer's, checked at enqueue, stand
    }
  }
  const held: JobRecord = {
    ...waitingRecord(queue, envelope),
    options,
    attempt: delivery.attempt,
    seq: delivery.seq,
  };
  const step = transition(held, {
    type: "claimed",
    at: deps.clock.now(),
    worker,
    deliveries: delivery.deliveries,
    maxStalls: deps.settings.maxStalls,
    hasTask: task !== undefined,
    stale: latest !== null && latest.seq !== delivery.seq,
  });
  if (step.kind === "unchanged") {
    // it moved on without this message: a redelivery after its outcome was stored
    const final = latest!.kind === "completed" || latest!.kind === "dead" ||
      latest!.kind === "cancelled";
    // the notice may be what was lost: the producer may still wait for it
    if (final && delivery.notify) deps.connection.publish(delivery.notify, latest!.body);
    delivery.ack();
    return null;
  }
  const job = step.job;
  const claimed = new ClaimedJob(job, delivery, { ...deps, worker }, envelope.given);
  if (job.state === "dead") {
    const { task, id: jobId, attempt, deadReason: reason } = job;
    if (await claimed.bury(job)) onDead?.({ queue, task, jobId, attempt, reason });
    return null;
  }
  deps.events.emitJob("active", job);
  return claimed;
}
