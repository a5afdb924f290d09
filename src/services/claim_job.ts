/**
 * Claiming a delivered job message: the first verb of a worker's side of a job.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { isJobId, parseEnvelope, waitingRecord } from "../core/envelope.ts";
import { isFinished, type JobRecord } from "../core/job.ts";
import type { WireNames } from "../core/names.ts";
import { ClaimedJob, type Delivery } from "./claimed_job.ts";
import { type DeadLetterService, toBase64 } from "./dead_letter_service.ts";
import type { EventService } from "./event_service.ts";
import type { JsonBucket } from "./kv_store_service.ts";

/** What claiming needs from the job service. */
export interface ClaimDeps {
  readonly jobs: JsonBucket<JobRecord>;
  readonly events: EventService;
  readonly deadLetters: DeadLetterService;
  readonly clock: Clock;
  readonly names: WireNames;
  /** Stores a retry's message in the delayed stream, when retries wait there. */
  readonly delayRetry?: (job: JobRecord, body: Uint8Array) => Promise<unknown>;
}

/** The message to claim, and for whom. */
export interface ClaimRequest {
  readonly queue: string;
  readonly delivery: Delivery;
  /** The worker's id. */
  readonly worker: string;
  /** Whether the worker has a task of this name. */
  readonly hasTask: (task: string) => boolean;
}

/**
 * Takes a delivered message for a worker: marks its job active and returns it, or settles
 * the message itself and returns `null` when there is nothing to run: a duplicate, a job
 * already finished or cancelled, or poison (not a job, or a task the worker does not know),
 * which is dead-lettered with its raw bytes and never retried.
 */
export async function claimJob(
  deps: ClaimDeps,
  { queue, delivery, worker, hasTask }: ClaimRequest,
): Promise<ClaimedJob | null> {
  const parsed = parseEnvelope(delivery.body);
  const invalidId = parsed.ok && !isJobId(parsed.envelope.id);
  if (!parsed.ok || invalidId) {
    const reason = parsed.ok
      ? `the job id ${JSON.stringify(parsed.envelope.id)} is not valid`
      : parsed.reason;
    await deps.deadLetters.add({
      queue,
      reason,
      worker,
      at: deps.clock.now(),
      raw: toBase64(delivery.body),
    });
    delivery.ack();
    return null;
  }
  const { envelope } = parsed;
  const key = deps.names.jobKey(queue, envelope.id);
  while (true) {
    let current = await deps.jobs.get(key);
    if (!current) {
      // published, but the enqueuer did not get to write the record (or it expired)
      const fresh = waitingRecord(queue, envelope);
      const revision = await deps.jobs.create(key, fresh);
      if (revision === null) continue;
      deps.events.emitJob("enqueued", fresh);
      current = { value: fresh, revision };
    }
    const job = current.value;
    if (job.nonce !== envelope.nonce || isFinished(job.state)) {
      delivery.ack(); // a duplicate copy, or nothing left to do
      return null;
    }
    // a second copy of the job's message (a retry stored in the delayed stream and handed
    // back too, when the store seemed to fail) while the first runs: the running one counts
    const running = job.state === "active" && job.seq !== undefined;
    if (running && delivery.seq !== undefined && delivery.seq !== job.seq) {
      delivery.ack();
      return null;
    }
    // the last attempt started but never reported: its worker died
    const stalled = job.attempt >= job.options.attempts;
    const runnable = hasTask(job.task) && !stalled;
    const active: JobRecord = {
      ...job,
      state: "active",
      attempt: runnable ? job.attempt + 1 : job.attempt,
      startedAt: deps.clock.now(),
      retryAt: undefined,
      worker,
      seq: delivery.seq ?? job.seq,
    };
    const revision = await deps.jobs.update(key, active, current.revision);
    if (revision === null) continue;
    const claimed = new ClaimedJob(active, revision, delivery, {
      jobs: deps.jobs,
      key,
      events: deps.events,
      deadLetters: deps.deadLetters,
      clock: deps.clock,
      worker,
      delayRetry: deps.delayRetry,
    });
    if (!runnable) {
      await claimed.deadLetter(
        stalled
          ? `attempt ${job.attempt} of ${job.options.attempts} stopped without an outcome ` +
            `(worker ${job.worker ?? "?"} stopped or lost its connection)`
          : `no task named ${JSON.stringify(job.task)} is registered with worker ${worker}`,
      );
      return null;
    }
    deps.events.emitJob("active", active);
    return claimed;
  }
}
