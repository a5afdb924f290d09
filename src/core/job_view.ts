/**
 * A job's record as its latest message shows it: waiting, delayed and failed jobs are not
 * written anywhere else, they are read off the message that holds them.
 *
 * @module
 */
import { parseEnvelope, waitingRecord } from "./envelope.ts";
import type { JobRecord, WaitingJob } from "./job.ts";
import type { JobMessageKind } from "./names.ts";

/** The parts of a job message a record is read from. */
export interface JobMessageView {
  readonly kind: JobMessageKind;
  readonly seq: number;
  readonly body: Uint8Array;
  /** Attempts used before this message. */
  readonly attempt: number;
  /** When a `delayed` or `retry` message comes due. */
  readonly runAt?: number;
}

/**
 * The job's record, from its latest message.
 *
 * @param delivered whether a worker holds the `run` message now (it is active)
 * @returns the record, or `null` when the message is not a job naq can read
 */
export function jobFromMessage(
  queue: string,
  message: JobMessageView,
  delivered: boolean,
): JobRecord | null {
  const { kind } = message;
  if (kind === "completed" || kind === "dead" || kind === "cancelled") {
    try {
      return JSON.parse(new TextDecoder().decode(message.body)) as JobRecord;
    } catch {
      return null;
    }
  }
  const parsed = parseEnvelope(message.body);
  if (!parsed.ok) return null;
  const base: WaitingJob = {
    ...waitingRecord(queue, parsed.envelope),
    attempt: message.attempt,
    seq: message.seq,
  };
  switch (kind) {
    case "run":
      return delivered ? { ...base, state: "active", attempt: message.attempt + 1 } : base;
    case "delayed":
      // naq writes the instant with the message; one without is taken as due
      return { ...base, state: "delayed", runAt: message.runAt ?? base.enqueuedAt };
    case "retry":
      return { ...base, state: "failed", retryAt: message.runAt ?? base.enqueuedAt };
  }
}
