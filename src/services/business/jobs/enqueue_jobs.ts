import type { BackoffSettings } from "../../../core/settings.ts";
import {
  checkJobId,
  encodeEnvelope,
  type GivenOptions,
  type JobEnvelope,
  resolveJobOptions,
  waitingRecord,
} from "../../../core/envelope.ts";
import { bodyLimit } from "../../../core/fit.ts";
import { inWindows } from "../../../core/in_windows.ts";
import type { JobRecord, ScheduleFiring } from "../../../core/job.ts";
import { startEnqueueSpan } from "../../../tracing/job_spans.ts";
import { type JobContext, PUBLISH_WINDOW } from "./job_context.ts";

/** What to enqueue: a task by name, its payload, and per-job options. */
export interface EnqueueRequest {
  /** The task's name; a worker must have a task registered under it. */
  readonly task: string;
  /** The payload, anything JSON can carry. */
  readonly payload: unknown;
  /** The job's id; the same id enqueued twice runs once. A random UUID when omitted. */
  readonly jobId?: string;
  /** Attempts in all; the task's, else the queue's `attempts` when omitted. */
  readonly attempts?: number;
  /** Backoff between attempts, over the task's and the queue's. */
  readonly backoff?: Partial<BackoffSettings>;
  /** Fail an attempt that runs longer than this many ms; the task's, else none when omitted. */
  readonly timeoutMs?: number;
  /** Options of the task when the producer has it; a worker applies its own task's anyway. */
  readonly taskOptions?: GivenOptions;
  /** Run no earlier than this, in ms since the epoch; at once when omitted or past. */
  readonly runAt?: number;
  /** The schedule firing that enqueues it. */
  readonly schedule?: ScheduleFiring;
}

/** A job as enqueue stored it, or found it. */
export interface Enqueued {
  /** The job's record. */
  readonly job: JobRecord;
  /** True when a job of that id was there already, and this call stored nothing. */
  readonly duplicate: boolean;
  /** For `waitUntilFinished()`: this manager hears when the job finishes. */
  readonly epoch?: number;
}

/**
 * Enqueues jobs in one pipelined batch: up to 512 publishes are in flight together, each a
 * compare-and-swap that refuses a second job of the same id while the first is known.
 *
 * @returns each job, in the order of `requests`
 */
export async function enqueueJobs(
  context: JobContext,
  queue: string,
  requests: readonly EnqueueRequest[],
): Promise<Enqueued[]> {
  const { jobs, waiters, clock } = context;
  await jobs.ensure(queue);
  const envelopes = requests.map((request) => envelopeOf(context, queue, request));
  const bodies = envelopes.map((envelope) => encodeWithinLimit(context, queue, envelope));
  const now = clock.now();
  // listen before the jobs go out: the subscription then precedes every notice
  const epoch = await waiters.listening();
  const notify = waiters.notifySubject;
  return await inWindows(envelopes, PUBLISH_WINDOW, async (envelope, i) => {
    const runAt = requests[i].runAt;
    const delayed = runAt !== undefined && runAt > now;
    // an id used again: a notice kept of its earlier job is not this one's (and this one's
    // may come before the write below returns)
    waiters.forget(queue, envelope.id);
    const span = startEnqueueSpan(queue, envelope.task, envelope.id);
    const seq = await jobs.messages.write(
      queue,
      envelope.id,
      delayed ? "delayed" : "run",
      bodies[i],
      {
        attempt: 0,
        runAt: delayed ? runAt : undefined,
        notify,
        trace: span.trace,
        expectLast: 0,
        msgID: envelope.nonce,
      },
      () => jobs.ensureAgain(queue),
    ).then((seq) => {
      span.end();
      return seq;
    }, (err) => {
      span.end(err);
      throw err;
    });
    if (seq === null) {
      // the id is taken: by a job still pending, running or finished (until results.ttl)
      // not asking its worker: a duplicate enqueue must not wait for an answer
      const latest = await jobs.messages.latest(queue, envelope.id);
      const existing = latest && await jobs.recordOf(queue, latest, false);
      if (existing) return { job: existing, duplicate: true };
      if (latest) {
        throw new RangeError(
          `Cannot enqueue job ${envelope.id} in queue ${queue}: its id is taken by a ` +
            `message that is not a naq job; remove it, or use another id`,
        );
      }
      // it finished and expired between the write and the read: try again
      return (await enqueueJobs(context, queue, [requests[i]]))[0];
    }
    const record: JobRecord = delayed
      ? { ...waitingRecord(queue, envelope), state: "delayed", runAt, seq }
      : { ...waitingRecord(queue, envelope), seq };
    context.events.emitJob("enqueued", record);
    return { job: record, duplicate: false, epoch };
  });
}

/**
 * Checks a job as enqueueing would, without enqueueing it: for schedules, so that nothing is
 * stored that could never fire.
 *
 * @throws {TypeError} for a bad job id or task name
 * @throws {RangeError} for bad options, or a message over the server's max payload
 */
export function checkEnqueue(context: JobContext, queue: string, request: EnqueueRequest): void {
  encodeWithinLimit(context, queue, envelopeOf(context, queue, request));
}

function envelopeOf(context: JobContext, queue: string, request: EnqueueRequest): JobEnvelope {
  if (!request.task) throw new TypeError("Cannot enqueue a job without a task name");
  const given = givenOptions(request);
  return {
    v: 1,
    id: request.jobId === undefined ? crypto.randomUUID() : checkJobId(request.jobId),
    task: request.task,
    payload: request.payload ?? null,
    options: resolveJobOptions(context.jobs.settings(queue), request.taskOptions, given),
    nonce: crypto.randomUUID(),
    enqueuedAt: context.clock.now(),
    ...(request.schedule && { schedule: request.schedule }),
    ...(Object.keys(given).length > 0 && { given }),
  };
}

function encodeWithinLimit(context: JobContext, queue: string, envelope: JobEnvelope): Uint8Array {
  const body = encodeEnvelope(envelope);
  const maxPayload = context.connection.maxPayload;
  const limit = bodyLimit(maxPayload, `${queue}.${envelope.id}.${context.waiters.notifySubject}`);
  if (body.length > limit) {
    throw new RangeError(
      `Cannot enqueue job ${envelope.id} (task ${envelope.task}): its message is ` +
        `${body.length} bytes, over the ${limit} bytes the server's ` +
        `max_payload of ${maxPayload} bytes leaves for it; store large data elsewhere and ` +
        `enqueue a reference to it`,
    );
  }
  return body;
}

/** The options a request sets itself, without those left out. */
function givenOptions(request: EnqueueRequest): GivenOptions {
  const backoff = Object.fromEntries(
    Object.entries(request.backoff ?? {}).filter(([, value]) => value !== undefined),
  );
  return {
    ...(request.attempts !== undefined && { attempts: request.attempts }),
    ...(request.timeoutMs !== undefined && { timeoutMs: request.timeoutMs }),
    ...(Object.keys(backoff).length > 0 && { backoff }),
  };
}
