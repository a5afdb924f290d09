/**
 * The message a job travels in: what a worker needs to run it, even when its stored record
 * has expired or was never written.
 *
 * @module
 */
import { z } from "zod";
import type { QueueSettings } from "./settings.ts";
import type { AttemptError, JobOptions, JobRecord, ScheduleFiring, WaitingJob } from "./job.ts";
import { nameProblem } from "./names.ts";
import { MAX_TIMEOUT_MS, readEnvelope, readJobOptions } from "./read_envelope.ts";

/** The body of a job message, version 1. */
export interface JobEnvelope {
  /** The format version. */
  readonly v: 1;
  /** The job's id. */
  readonly id: string;
  /** The task that runs it. */
  readonly task: string;
  /** The JSON payload. */
  readonly payload: unknown;
  /** Retry and timeout settings. */
  readonly options: JobOptions;
  /** Which enqueue published it; see {@linkcode JobRecord.nonce}. */
  readonly nonce: string;
  /** When it was enqueued, in ms since the epoch. */
  readonly enqueuedAt: number;
  /** The schedule firing that enqueued it, if one did. */
  readonly schedule?: ScheduleFiring;
  /**
   * The options the producer set itself; a worker applies its task's options to the rest,
   * so that a task's options hold however the job was enqueued (by name too).
   */
  readonly given?: GivenOptions;
  /** The errors of the attempts that failed so far: a retry's message carries them. */
  readonly errors?: readonly AttemptError[];
}

/** Job options as a producer set them, each one optional. */
export interface GivenOptions {
  /** Attempts in all. */
  readonly attempts?: number;
  /** The timeout of each attempt, in ms. */
  readonly timeoutMs?: number;
  /** The backoff fields set, delays in ms. */
  readonly backoff?: Partial<JobOptions["backoff"]>;
}

// the schemas word what is wrong; read_envelope.ts checks the hot path first
const duration = z.number().int().nonnegative();
const optionsSchema = z.object({
  attempts: z.number().int().positive(),
  timeoutMs: duration.max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms (about 24 days)`),
  backoff: z.object({
    type: z.enum(["fixed", "exponential", "list"]),
    delay: duration,
    maxDelay: duration,
    jitter: z.number().min(0).max(1),
    delays: z.array(duration),
  }),
});
/** @internal the schema the hand checks of read_envelope.ts must never be looser than */
export const envelopeSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  task: z.string().min(1),
  payload: z.unknown(),
  options: optionsSchema,
  nonce: z.string().min(1),
  enqueuedAt: z.number(),
  schedule: z.object({ id: z.string(), at: z.number() }).optional(),
  given: z.object({
    attempts: z.number().optional(),
    timeoutMs: z.number().optional(),
    backoff: z.record(z.string(), z.unknown()).optional(),
  }).optional(),
  errors: z.array(z.object({
    attempt: z.number(),
    message: z.string(),
    name: z.string(),
    stack: z.string().optional(),
    worker: z.string(),
    at: z.number(),
  })).optional(),
});

/**
 * Checks a job's options before it is enqueued, with the rules a worker applies on receipt,
 * so that nothing is accepted that a worker would refuse.
 *
 * @throws {RangeError} naming each bad option, the value seen and what was expected
 */
export function checkJobOptions(options: JobOptions): JobOptions {
  if (readJobOptions(options)) return options;
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return options;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join(".");
    const seen = issue.path.reduce<unknown>(
      (value, key) => (value as Record<PropertyKey, unknown>)?.[key as PropertyKey],
      options,
    );
    return `'${path}': ${issue.message}, got ${JSON.stringify(seen) ?? "undefined"}`;
  });
  throw new RangeError(`Cannot enqueue as options are invalid: ${problems.join("; ")}`);
}

/** Encodes an envelope as the message body. */
export function encodeEnvelope(envelope: JobEnvelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(envelope));
}

/** An envelope, or why the bytes are not one. */
export type ParsedEnvelope =
  | { readonly ok: true; readonly envelope: JobEnvelope }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a message body as a job envelope.
 *
 * @param body the raw message bytes
 * @returns the envelope, or a reason fit for a dead letter
 */
export function parseEnvelope(body: Uint8Array): ParsedEnvelope {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    // the decoder's own message ("The encoded data is not valid") does not say which encoding
    return { ok: false, reason: "the message is not JSON: its bytes are not valid UTF-8" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the message is not JSON: ${(err as Error).message}` };
  }
  const envelope = readEnvelope(json);
  if (envelope) return { ok: true, envelope };
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".") || "(body)"}: ${issue.message}`
    );
    return { ok: false, reason: `the message is not a naq job: ${problems.join("; ")}` };
  }
  return { ok: true, envelope: parsed.data as JobEnvelope };
}

const JOB_ID = /^[A-Za-z0-9_=-]{1,200}$/;
const JOB_ID_CHAR = /[A-Za-z0-9_=-]/;

/** True when `id` can be a job id: 1 to 200 letters, digits, `_`, `-` or `=`. */
export function isJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/**
 * Checks a job id given by a caller.
 *
 * @throws {TypeError} when it has characters a subject token cannot hold, or is too long
 */
export function checkJobId(id: string): string {
  if (!isJobId(id)) {
    throw new TypeError(
      `Cannot use ${JSON.stringify(id)} as a job id: ${nameProblem(id, JOB_ID_CHAR, 200)}; ` +
        `use 1 to 200 letters, digits, "_", "-" or "=" (ids are part of NATS subjects)`,
    );
  }
  return id;
}

/** The record of a job that was just enqueued. */
export function waitingRecord(queue: string, envelope: JobEnvelope): WaitingJob {
  return {
    id: envelope.id,
    queue,
    task: envelope.task,
    payload: envelope.payload,
    state: "waiting",
    attempt: 0,
    options: envelope.options,
    nonce: envelope.nonce,
    enqueuedAt: envelope.enqueuedAt,
    ...(envelope.schedule && { schedule: envelope.schedule }),
    errors: envelope.errors ?? NO_ERRORS,
  };
}

// one for every job that has not failed yet: records are never changed in place
const NO_ERRORS: readonly AttemptError[] = Object.freeze([]);

// a queue's jobs mostly share their options: one frozen copy per queue settings and task,
// not one per job, for the producer holding thousands of handles and the worker claiming
const SHARED_OPTIONS = new WeakMap<QueueSettings, Map<GivenOptions | undefined, JobOptions>>();

/**
 * A job's options: what was given over the task's, over the queue's settings. Without
 * options given, jobs of the same settings and task share one frozen object.
 *
 * @throws {RangeError} naming each option a worker would refuse
 */
export function resolveJobOptions(
  settings: QueueSettings,
  task: GivenOptions | undefined,
  given: GivenOptions,
): JobOptions {
  const shares = given.attempts === undefined && given.timeoutMs === undefined &&
    given.backoff === undefined;
  if (!shares) return mergeJobOptions(settings, task, given);
  let byTask = SHARED_OPTIONS.get(settings);
  if (!byTask) SHARED_OPTIONS.set(settings, byTask = new Map());
  let options = byTask.get(task);
  if (!options) {
    // frozen copies: the delays may be the caller's own array
    const merged = mergeJobOptions(settings, task, given);
    const delays = Object.freeze([...merged.backoff.delays]);
    const backoff = Object.freeze({ ...merged.backoff, delays });
    byTask.set(task, options = Object.freeze({ ...merged, backoff }));
  }
  return options;
}

function mergeJobOptions(
  settings: QueueSettings,
  task: GivenOptions | undefined,
  given: GivenOptions,
): JobOptions {
  const backoff = { ...settings.backoff };
  for (const layer of [task?.backoff, given.backoff]) {
    for (const [field, value] of Object.entries(layer ?? {})) {
      // an option given as undefined keeps the value below it
      if (value !== undefined) Object.assign(backoff, { [field]: value });
    }
  }
  return checkJobOptions({
    attempts: given.attempts ?? task?.attempts ?? settings.attempts,
    timeoutMs: given.timeoutMs ?? task?.timeoutMs ?? 0,
    backoff,
  });
}

/** The message a job travels in, from its record. */
export function toEnvelope(job: JobRecord): JobEnvelope {
  return {
    v: 1,
    id: job.id,
    task: job.task,
    payload: job.payload,
    options: job.options,
    nonce: job.nonce,
    enqueuedAt: job.enqueuedAt,
    ...(job.schedule && { schedule: job.schedule }),
    ...(job.errors.length > 0 && { errors: job.errors }),
  };
}

/** A record as the bytes of a final message or a notice. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
