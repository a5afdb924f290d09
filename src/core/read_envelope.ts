/**
 * A job envelope's shape, checked by hand: the worker reads one per job, and a schema
 * library's generic walk cost more than the rest of the claim. These functions only say
 * yes; on a no, `envelope.ts` asks its zod schema, which decides and words the reason. So
 * they may be stricter than the schema, never looser.
 *
 * @module
 */
import type { JobEnvelope } from "./envelope.ts";
import type { AttemptError, JobOptions } from "./job.ts";

// setTimeout cannot wait longer: past it, a timer fires at once
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string" && value !== "";
const isNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);
const isDuration = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;
const BACKOFF_TYPES: readonly unknown[] = ["fixed", "exponential", "list"];

/** The options, copied with only their known fields, when valid; otherwise `undefined`. */
export function readJobOptions(value: unknown): JobOptions | undefined {
  if (!isObject(value)) return undefined;
  const { attempts, timeoutMs, backoff } = value;
  if (!Number.isSafeInteger(attempts) || (attempts as number) < 1) return undefined;
  if (!isDuration(timeoutMs) || timeoutMs > MAX_TIMEOUT_MS) return undefined;
  if (!isObject(backoff)) return undefined;
  const { type, delay, maxDelay, jitter, delays } = backoff;
  if (!BACKOFF_TYPES.includes(type) || !isDuration(delay) || !isDuration(maxDelay)) {
    return undefined;
  }
  if (!isNumber(jitter) || jitter < 0 || jitter > 1) return undefined;
  if (!Array.isArray(delays) || !delays.every(isDuration)) return undefined;
  return {
    attempts: attempts as number,
    timeoutMs,
    backoff: { type, delay, maxDelay, jitter, delays: [...delays] } as JobOptions["backoff"],
  };
}

/** The envelope, copied with only its known fields, when valid; otherwise `undefined`. */
export function readEnvelope(json: unknown): JobEnvelope | undefined {
  if (!isObject(json) || json.v !== 1) return undefined;
  const { id, task, payload, nonce, enqueuedAt, schedule, given, errors } = json;
  if (!isText(id) || !isText(task) || !isText(nonce) || !isNumber(enqueuedAt)) return undefined;
  if (!("payload" in json)) return undefined; // the schema wants it there, even as null
  const options = readJobOptions(json.options);
  if (!options) return undefined;
  const envelope: {
    -readonly [K in keyof JobEnvelope]: JobEnvelope[K];
  } = { v: 1, id, task, payload, options, nonce, enqueuedAt };
  if (schedule !== undefined) {
    if (!isObject(schedule) || typeof schedule.id !== "string" || !isNumber(schedule.at)) {
      return undefined;
    }
    envelope.schedule = { id: schedule.id, at: schedule.at };
  }
  if (given !== undefined) {
    if (!isObject(given)) return undefined;
    const { attempts, timeoutMs, backoff } = given;
    if (attempts !== undefined && !isNumber(attempts)) return undefined;
    if (timeoutMs !== undefined && !isNumber(timeoutMs)) return undefined;
    if (backoff !== undefined && !isObject(backoff)) return undefined;
    envelope.given = {
      ...(attempts !== undefined && { attempts }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(backoff !== undefined && { backoff: { ...backoff } }),
    };
  }
  if (errors !== undefined) {
    if (!Array.isArray(errors)) return undefined;
    const copies: AttemptError[] = [];
    for (const error of errors) {
      if (!isObject(error)) return undefined;
      const { attempt, message, name, stack, worker, at } = error;
      if (!isNumber(attempt) || typeof message !== "string" || typeof name !== "string") {
        return undefined;
      }
      if (stack !== undefined && typeof stack !== "string") return undefined;
      if (typeof worker !== "string" || !isNumber(at)) return undefined;
      copies.push({ attempt, message, name, ...(stack !== undefined && { stack }), worker, at });
    }
    envelope.errors = copies;
  }
  return envelope;
}
