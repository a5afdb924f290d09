import { checkJobId, encodeEnvelope, parseEnvelope, toEnvelope } from "../../../core/envelope.ts";
import type { JobRecord } from "../../../core/job.ts";
import { transition } from "../../../core/transition.ts";
import { ErrorCode, NaqError } from "../../../errors.ts";
import type { StoredDeadLetter } from "../dead_letter_service.ts";
import { activeTrace } from "../../../tracing/job_spans.ts";
import type { JobContext } from "./job_context.ts";
import { notFound } from "./read_jobs.ts";

/**
 * Runs a dead job again from its first attempt, and removes its dead letter.
 *
 * @param letter the job's dead letter, which stands in for its record once that expired
 * @throws {NaqError} with code `NOT_FOUND` when the job is unknown
 * @throws {RangeError} when the job is not dead
 */
export async function retryJob(
  context: JobContext,
  queue: string,
  jobId: string,
  letter?: StoredDeadLetter,
): Promise<JobRecord> {
  const { jobs, waiters } = context;
  checkJobId(jobId);
  const latest = await jobs.messages.latest(queue, jobId);
  const current = latest ? await jobs.recordOf(queue, latest) : letter && letterJob(letter);
  if (!current || current.id !== jobId) throw notFound(queue, jobId);
  const step = transition(current, { type: "revived", nonce: crypto.randomUUID() });
  if (step.kind === "unchanged") {
    throw new RangeError(
      `Cannot retry job ${jobId} in queue ${queue}: it is ${current.state}, ` +
        `and only dead jobs can be retried`,
    );
  }
  const revived = step.job;
  const deadLetterSeq = current.state === "dead" ? current.deadLetterSeq : undefined;
  await jobs.ensure(queue);
  await waiters.listening(); // its outcome comes here, for queue.result(id) to hear
  const seq = await jobs.messages.write(
    queue,
    jobId,
    "run",
    encodeEnvelope(toEnvelope(revived)),
    {
      attempt: 0,
      notify: waiters.notifySubject,
      // run again at an operator's request: part of that request's trace, if any
      trace: activeTrace(),
      expectLast: latest?.seq ?? 0,
      msgID: revived.nonce,
    },
  );
  if (seq === null) {
    throw new NaqError(
      ErrorCode.Conflict,
      `Cannot retry job ${jobId} in queue ${queue}: it changed meanwhile; look at it again`,
    );
  }
  waiters.forget(queue, jobId);
  if (latest) await jobs.messages.remove(queue, latest.seq);
  const letterSeq = deadLetterSeq ?? letter?.seq;
  if (letterSeq !== undefined) await context.deadLetters.remove(letterSeq);
  context.events.emitJob("enqueued", revived);
  return { ...revived, seq };
}

/** The job a dead letter holds, with its payload read back from the letter's bytes. */
function letterJob(letter: StoredDeadLetter): JobRecord | null {
  if (!letter.job) return null;
  const parsed = parseEnvelope(Uint8Array.from(atob(letter.raw), (char) => char.charCodeAt(0)));
  return { ...letter.job, payload: parsed.ok ? parsed.envelope.payload : letter.job.payload };
}
