import type { Clock } from "../../../clock.ts";
import type { QueueSettings } from "../../../config/types.ts";
import { type Occurrence, type Step, transition } from "../../../core/transition.ts";
import {
  encodeEnvelope,
  encodeJson,
  type GivenOptions,
  toEnvelope,
} from "../../../core/envelope.ts";
import { bodyLimit, fitErrors, fitRecord } from "../../../core/fit.ts";
import type {
  AttemptError,
  CompletedJob,
  DeadJob,
  FailedJob,
  JobRecord,
} from "../../../core/job.ts";
import type { ConnectionService } from "../../core/connection_service.ts";
import { type DeadLetterService, toBase64 } from "../dead_letter_service.ts";
import type { EventService } from "../event_service.ts";
import type { JobMessages } from "../../core/job_messages.ts";
import type { Delivery } from "../../core/queue_consumer.ts";

/** What a {@linkcode ClaimedJob} needs from the job service. */
export interface ClaimContext {
  readonly messages: JobMessages;
  readonly events: EventService;
  readonly deadLetters: DeadLetterService;
  readonly clock: Clock;
  readonly connection: ConnectionService;
  readonly settings: QueueSettings;
  readonly worker: string;
  /** How long final records are kept. */
  readonly resultsTtlMs: number;
}

/** What followed an attempt, for the worker's log. */
export type Decision =
  | { readonly kind: "complete"; readonly result: unknown }
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "dead"; readonly reason: string };

// a write refused while the message held is still the job's latest is tried again, after
// pauses doubling from this, a few times
const REFUSAL_PAUSE_MS = 50;
const REFUSALS_BEFORE_LETTING_GO = 5;

// what an attempt's error keeps of its stack and message: a dead letter must fit the server
const MAX_STACK = 4_000;
const MAX_MESSAGE = 2_000;

/**
 * A job a worker has claimed: its message is held. Every job claimed MUST end in exactly one
 * of `complete`, `fail`, `deadLetter`, `handBack` or `drop`. Each writes the job's next
 * message (a dead letter first, for `deadLetter`) by compare-and-swap on the message held,
 * and only then acknowledges.
 *
 * If someone else moved the job on meanwhile (it was cancelled, or its message was
 * redelivered elsewhere and finished there), the write is refused and the outcome dropped.
 */
export class ClaimedJob {
  #job: JobRecord;
  #released = false;
  #outcomeStored = false;
  readonly #delivery: Delivery;
  readonly #context: ClaimContext;
  readonly #given?: GivenOptions;

  /**
   * @internal built by `JobService.claim()`
   * @param given the options the producer set, which a retry's message keeps
   */
  constructor(job: JobRecord, delivery: Delivery, context: ClaimContext, given?: GivenOptions) {
    this.#job = job;
    this.#delivery = delivery;
    this.#context = context;
    this.#given = given;
  }

  /** The job as the worker runs it. */
  get job(): JobRecord {
    return this.#job;
  }

  /**
   * When the attempt came due, in ms since the epoch: its delay or retry delay ran out, its
   * attempt before failed (an immediate retry), or it was enqueued.
   */
  get dueAt(): number {
    return this.#delivery.runAt ?? this.#job.errors.at(-1)?.at ?? this.#job.enqueuedAt;
  }

  /** The trace context of the job's enqueue, as its message carries it. */
  get trace(): Readonly<Record<string, string>> | undefined {
    return this.#delivery.trace;
  }

  /** Restarts the message's ack-wait countdown, so a long job is not redelivered. */
  keepAlive(): void {
    if (!this.#released) this.#delivery.working();
  }

  /**
   * Keeps the handler's progress value, which `getJob()` asks the worker for while the job
   * runs and its final record keeps, and emits a `progress` event.
   */
  // deno-lint-ignore require-await -- a value JSON cannot hold rejects, and never throws
  async progress(value: unknown): Promise<void> {
    if (this.#released) return;
    const json = JSON.stringify(value) ?? "null";
    // it goes in the job's final record, and in answers to getJob(): a quarter of a message
    const max = Math.floor(this.#limit() / 4);
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > max) {
      throw new RangeError(
        `Cannot keep the progress of job ${this.#job.id}: it is ${bytes} bytes as JSON, and ` +
          `progress may take at most ${max} (a quarter of what the server's max_payload ` +
          `leaves a message); report a small value, such as a percentage`,
      );
    }
    this.#job = { ...this.#job, progress: JSON.parse(json) };
    this.#context.events.emitJob("progress", this.#job, value);
  }

  /** True once this claim stored the job's outcome (false when someone else moved it on). */
  get outcomeStored(): boolean {
    return this.#outcomeStored;
  }

  /**
   * Stores the result, then acknowledges. A result JSON cannot hold (a BigInt, a cycle), or
   * too large for the server to store, fails the attempt instead, with an error that says so.
   */
  async complete(result: unknown): Promise<Decision> {
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(result) ?? "null");
    } catch (err) {
      return await this.fail(
        new TypeError(`the handler's result cannot be stored as JSON: ${describe(err)}`),
      );
    }
    const completed = this.#next({
      type: "succeeded",
      at: this.#context.clock.now(),
      result: json,
    }) as CompletedJob;
    const body = encodeJson(completed);
    const limit = this.#limit();
    if (body.length > limit) {
      return await this.fail(
        new RangeError(
          `the handler's result makes the job's record ${body.length} bytes, over the ` +
            `${limit} bytes the server's max_payload leaves for it; store large results ` +
            `elsewhere and return a reference to them`,
        ),
      );
    }
    if (await this.#finish(completed, body)) {
      this.#context.events.emitJob("completed", this.#job, json);
    }
    return { kind: "complete", result: json };
  }

  /**
   * Records a failed attempt: schedules a retry while attempts remain, otherwise
   * dead-letters the job. Returns what was decided.
   */
  async fail(error: unknown, random: number = Math.random()): Promise<Decision> {
    const at = this.#context.clock.now();
    const failure = this.#attemptError(error, at);
    const step = this.#step({ type: "failed", at, error, failure, random });
    const next = step.job as FailedJob | DeadJob;
    if (next.state === "dead") {
      // the failure is told only once it is stored, before the death it led to
      await this.bury(next, () => this.#context.events.emitJob("failed", next, failure.message));
      return { kind: "dead", reason: next.deadReason };
    }
    // the retry carries the errors so far: as many as fit beside the payload
    const envelope = fitErrors({ ...toEnvelope(next), given: this.#given }, this.#limit());
    if (!envelope) {
      const reason = `attempt ${this.#job.attempt} failed, and its retry would not fit the ` +
        `server's max_payload beside the payload`;
      this.#job = { ...this.#job, errors: next.errors };
      await this.deadLetter(reason);
      return { kind: "dead", reason };
    }
    const delayMs = step.retryInMs ?? 0;
    // the retry is a schedule: the server makes it the job's run message when due
    const stored = await this.#write(delayMs > 0 ? "retry" : "run", encodeEnvelope(envelope), {
      attempt: this.#job.attempt,
      runAt: delayMs > 0 ? at + delayMs : undefined,
    });
    if (stored) {
      this.#job = next;
      this.#context.events.emitJob("failed", next, failure.message);
      this.#context.events.emitJob("retrying", next, delayMs);
    }
    return { kind: "retry", delayMs };
  }

  /**
   * Dead-letters the job at once, without retrying, with `reason`. Returns false when the
   * job had moved on meanwhile (it was cancelled, or finished elsewhere).
   */
  deadLetter(reason: string): Promise<boolean> {
    const at = this.#context.clock.now();
    return this.bury(this.#next({ type: "gave up", at, reason }) as DeadJob);
  }

  /**
   * Stores `dead` (the job as it died at its claim, or after an attempt): its dead letter,
   * then its record, calling `onStored` once it is. Returns false when the job had moved on
   * meanwhile.
   */
  async bury(dead: DeadJob, onStored?: () => void): Promise<boolean> {
    const { deadLetters, worker } = this.#context;
    const { deadReason: reason, finishedAt: at } = dead;
    // the letter keeps the message's bytes as they were; its copy of the job leaves out the
    // payload they hold, and as many errors as need be, so that it fits beside them
    const raw = this.#delivery.body;
    const copy = fitErrors({ ...dead, payload: undefined }, this.#limit() - raw.length);
    const letter = { queue: dead.queue, reason, worker, at, raw: toBase64(raw) };
    const seq = await deadLetters.add({ ...letter, ...(copy && { job: copy }) }).catch((err) => {
      if (!isTooLarge(err)) throw err;
      // the bytes, and only the fields that fit beside them: the record below has the rest
      return deadLetters.add({ ...letter, reason: fitRecord(dead, 0).deadReason });
    });
    const record = fitRecord({ ...dead, deadLetterSeq: seq }, this.#limit());
    if (await this.#finish(record, encodeJson(record))) {
      onStored?.();
      this.#context.events.emitJob("dead", record, reason);
      return true;
    }
    // someone else moved the job on meanwhile: the letter would name a job that is not dead
    await deadLetters.remove(seq);
    return false;
  }

  /** What `occurrence` makes of the job: it can only happen to a job its worker holds. */
  #step(occurrence: Occurrence): Step & { kind: "moved" } {
    const step = transition(this.#job, occurrence);
    if (step.kind === "unchanged") {
      throw new Error(`naq: job ${this.#job.id} cannot be ${occurrence.type}: ${step.reason}`);
    }
    return step;
  }

  #next(occurrence: Occurrence): JobRecord {
    return this.#step(occurrence).job;
  }

  /** Lets go of a job that was cancelled before it started here: acknowledges, runs nothing. */
  drop(): void {
    if (this.#released) return;
    this.#released = true;
    this.#delivery.ack();
  }

  /**
   * Gives the job back for immediate redelivery without counting this attempt: for a worker
   * that stops before the job finished. The job's message is written anew in place of the one
   * held, so the hand-back does not count as a stall either.
   */
  async handBack(): Promise<void> {
    if (this.#released) return;
    await this.#write("run", this.#delivery.body, { attempt: this.#delivery.attempt });
  }

  /** The most a message's body may hold on this server. */
  #limit(): number {
    const { queue, id } = this.#job;
    const subject = `${queue}.${id}.${this.#delivery.notify ?? ""}`;
    return bodyLimit(this.#context.connection.maxPayload, subject);
  }

  /**
   * Writes the final record, tells the producer, then acknowledges: the notice goes before
   * the ack, so that a worker dying in between leaves a redelivery that sends it again.
   */
  async #finish(job: CompletedJob | DeadJob, body: Uint8Array): Promise<boolean> {
    const { notify } = this.#delivery;
    const stored = await this.#write(job.state, body, {
      attempt: job.attempt,
      ttlMs: this.#context.resultsTtlMs,
    }, () => {
      if (notify) this.#context.connection.publish(notify, body);
    });
    if (stored) this.#job = job;
    return stored;
  }

  /**
   * Writes the job's next message in place of the one held, then acknowledges that one.
   * Returns false (and stores nothing) when the job was released or moved on by someone else;
   * the message held is then acknowledged too, as it is no longer the job's.
   */
  async #write(
    kind: "run" | "retry" | "completed" | "dead",
    body: Uint8Array,
    headers: { attempt: number; runAt?: number; ttlMs?: number },
    beforeAck?: () => void,
  ): Promise<boolean> {
    if (this.#released) return false;
    const { queue, id } = this.#job;
    let seq: number | null = null;
    try {
      for (let refusals = 0;; refusals++) {
        seq = await this.#context.messages.write(queue, id, kind, body, {
          ...headers,
          notify: this.#delivery.notify,
          // a retry, or a job handed back, still belongs to the trace of its enqueue
          trace: kind === "run" || kind === "retry" ? this.#delivery.trace : undefined,
          expectLast: this.#delivery.seq,
        });
        if (seq !== null) break;
        // refused: acknowledge only once sure the job moved on. Under load a replicated
        // stream can refuse while a write that did not land is still in flight, and the
        // message held is then still the job's latest; acknowledging it would lose the job
        const latest = await this.#context.messages.latest(queue, id);
        if (latest && latest.seq !== this.#delivery.seq) break; // it moved on: not ours
        if (!latest || refusals >= REFUSALS_BEFORE_LETTING_GO) {
          // unsure: leave the message unacknowledged, for its redelivery to decide
          this.#released = true;
          return false;
        }
        // real time: it waits for the server to settle the write in flight
        const pause = REFUSAL_PAUSE_MS * 2 ** refusals;
        await new Promise((resolve) => setTimeout(resolve, pause)); // real time: see above
      }
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      await this.#endTooLarge(kind);
      throw new RangeError(
        `Cannot store the ${kind} message of job ${id} of queue ${queue}: it is over the ` +
          `server's max_payload even trimmed; the job was stored dead without it`,
        { cause: err },
      );
    }
    this.#released = true;
    if (seq !== null) beforeAck?.();
    // a run message written in place of this one replaced it: there is nothing to ack
    if (kind !== "run" || seq === null) this.#delivery.ack();
    if (seq === null) return false;
    this.#outcomeStored = true;
    return true;
  }

  /**
   * Ends a job whose next message cannot be stored at any size that keeps it whole: a record
   * of it, dead, with nothing but its name, so that it is not lost and its producer hears;
   * the message is terminated, never redelivered.
   */
  async #endTooLarge(kind: string): Promise<void> {
    this.#released = true;
    const { queue, id } = this.#job;
    const dead = fitRecord(
      this.#next({
        type: "gave up",
        at: this.#context.clock.now(),
        reason: `its ${kind} message was over the server's max_payload, even trimmed`,
      }) as DeadJob,
      0,
    );
    const body = encodeJson(dead);
    try {
      const seq = await this.#context.messages.write(queue, id, "dead", body, {
        attempt: dead.attempt,
        expectLast: this.#delivery.seq,
        ttlMs: this.#context.resultsTtlMs,
      });
      if (seq !== null && this.#delivery.notify) {
        this.#context.connection.publish(this.#delivery.notify, body);
      }
    } finally {
      this.#delivery.term();
    }
  }

  #attemptError(error: unknown, at: number): AttemptError {
    const stack = error instanceof Error && typeof error.stack === "string"
      ? error.stack
      : undefined;
    return {
      attempt: this.#job.attempt,
      message: capped(describe(error), MAX_MESSAGE),
      name: error instanceof Error ? String(error.name) : typeof error,
      stack: stack === undefined ? undefined : capped(stack, MAX_STACK),
      worker: this.#context.worker,
      at,
    };
  }
}

/** True for nats.js's refusal of a message over the server's `max_payload`. */
export function isTooLarge(err: unknown): boolean {
  return err instanceof Error && /max_payload/i.test(err.message);
}

function capped(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** What went wrong, in words, whatever was thrown: even an object `String()` cannot convert. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return `a thrown ${typeof error} that cannot be shown as text`;
  }
}
