/**
 * Making a job's messages fit the server's `max_payload`: a job that grew (errors, stacks, a
 * result) must still end somewhere, never loop because its next message cannot be stored.
 *
 * @module
 */
import type { AttemptError, JobRecord } from "./job.ts";

/** Bytes kept free of a message's body for the headers naq and nats.js put on it. */
export const HEADROOM = 1_024;

/**
 * The most a job message's body may hold on a server with this `max_payload`.
 *
 * @param subject the job's subject, which its headers repeat (as the expected-sequence
 *   subject and a schedule's target), so that a long queue name and id leave less room
 */
export function bodyLimit(maxPayload: number, subject = ""): number {
  return maxPayload - HEADROOM - 3 * subject.length;
}

/** The size of a value as the JSON a message carries. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

// what an error's message keeps when the errors must shrink to fit
const SHORT_MESSAGE = 200;

/**
 * The errors a job carries, made to fit `limit` bytes beside `rest`: first without their
 * stacks, then with short messages, then only the last one. `null` when not even that fits.
 *
 * @param rest the record (or envelope) the errors go in, which must fit as it is
 */
export function fitErrors<T extends { readonly errors?: readonly AttemptError[] }>(
  rest: T,
  limit: number,
): T | null {
  const withoutStacks = (rest.errors ?? []).map(({ stack: _, ...error }) => error);
  const short = withoutStacks.map((error) => ({
    ...error,
    message: error.message.length <= SHORT_MESSAGE
      ? error.message
      : `${error.message.slice(0, SHORT_MESSAGE)}… (shortened to fit the server's max_payload)`,
  }));
  const tries = [rest.errors ?? [], withoutStacks, short, short.slice(-1)];
  for (const attempt of tries) {
    const candidate = { ...rest, errors: attempt };
    if (jsonBytes(candidate) <= limit) return candidate;
  }
  return null;
}

/**
 * A final record made to fit `limit` bytes: its errors trimmed as {@linkcode fitErrors}
 * does, then without its payload and progress (a dead letter keeps the payload's bytes), and
 * at last without errors. A record so trimmed still says what became of the job.
 */
export function fitRecord<J extends JobRecord>(job: J, limit: number): J {
  const fitted = fitErrors(job, limit) ??
    fitErrors({ ...job, payload: null, progress: undefined }, limit);
  if (fitted) return fitted;
  return {
    ...job,
    payload: null,
    progress: undefined,
    errors: [],
    ...(job.state === "completed" && { result: undefined }),
    ...(job.state === "dead" && job.deadReason.length > SHORT_MESSAGE && {
      deadReason: `${
        job.deadReason.slice(0, SHORT_MESSAGE)
      }… (shortened to fit the server's max_payload)`,
    }),
  };
}
