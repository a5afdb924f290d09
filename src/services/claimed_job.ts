import type { Clock } from "../clock.ts";
import { type AttemptOutcome, decide, type Decision } from "../core/decide.ts";
import type { AttemptError, JobRecord } from "../core/job.ts";
import { type DeadLetterService, toBase64 } from "./dead_letter_service.ts";
import type { EventService } from "./event_service.ts";
import type { JsonBucket } from "./kv_store_service.ts";

/** A job message as a worker holds it: its bytes and the acknowledgements it can send. */
export interface Delivery {
  /** The message body. */
  readonly body: Uint8Array;
  /** Its sequence in the queue's stream. */
  readonly seq?: number;
  /** Done with: remove it from the queue. */
  ack(): void;
  /** Hand it back for redelivery after `delayMs` (at once when omitted). */
  nak(delayMs?: number): void;
  /** Still working on it: restart the ack-wait countdown. */
  working(): void;
}

/** What a {@linkcode ClaimedJob} needs from the job service. */
export interface ClaimContext {
  readonly jobs: JsonBucket<JobRecord>;
  readonly key: string;
  readonly events: EventService;
  readonly deadLetters: DeadLetterService;
  readonly clock: Clock;
  readonly worker: string;
  /**
   * Stores a retry's message in the delayed stream, for a scheduler to enqueue when due;
   * without it, a retry waits in `nak(delay)`, holding one of the queue's `maxInFlight`.
   */
  readonly delayRetry?: (job: JobRecord, body: Uint8Array) => Promise<unknown>;
}

/**
 * A job a worker has claimed: it is `active` in the store and its message is held. Every job
 * claimed MUST end in exactly one of `complete`, `fail`, `deadLetter` or `handBack`; each
 * stores the outcome first and only then acknowledges the message.
 *
 * If someone else took the job over meanwhile (its message was redelivered elsewhere), the
 * outcome is dropped rather than overwrite theirs.
 */
export class ClaimedJob {
  #job: JobRecord;
  #revision: number;
  #writes: Promise<unknown> = Promise.resolve();
  #released = false;
  #outcomeStored = false;
  readonly #delivery: Delivery;
  readonly #context: ClaimContext;

  /** @internal built by `JobService.claim()` */
  constructor(job: JobRecord, revision: number, delivery: Delivery, context: ClaimContext) {
    this.#job = job;
    this.#revision = revision;
    this.#delivery = delivery;
    this.#context = context;
  }

  /** The job as stored now. */
  get job(): JobRecord {
    return this.#job;
  }

  /** Restarts the message's ack-wait countdown, so a long job is not redelivered. */
  keepAlive(): void {
    if (!this.#released) this.#delivery.working();
  }

  /** Stores the handler's progress value and emits a `progress` event. */
  async progress(value: unknown): Promise<void> {
    if (await this.#store({ ...this.#job, progress: value })) {
      this.#context.events.emitJob("progress", this.#job, value);
    }
  }

  /** True once this claim stored the job's outcome (false when someone else took it over). */
  get outcomeStored(): boolean {
    return this.#outcomeStored;
  }

  /**
   * Stores the result, then acknowledges. A result JSON cannot hold (a BigInt, a cycle)
   * fails the attempt instead, with a TypeError that says so.
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
    return await this.#settle({ kind: "succeeded", result: json }, Math.random());
  }

  /**
   * Records a failed attempt: schedules a retry while attempts remain, otherwise
   * dead-letters the job. Returns what was decided.
   */
  async fail(error: unknown, random = Math.random()): Promise<Decision> {
    return await this.#settle({ kind: "failed", error }, random);
  }

  /** Dead-letters the job at once, without retrying, with `reason`. */
  async deadLetter(reason: string): Promise<void> {
    await this.#kill(reason);
  }

  /**
   * Gives the job back for immediate redelivery without counting this attempt: for a worker
   * that stops before the job finished.
   */
  async handBack(): Promise<void> {
    const stored = await this.#store({
      ...this.#job,
      state: "waiting",
      attempt: this.#job.attempt - 1,
      worker: undefined,
    });
    this.#released = true;
    if (stored) this.#delivery.nak();
  }

  async #settle(outcome: AttemptOutcome, random: number): Promise<Decision> {
    const decision = decide(this.#job, outcome, random);
    const now = this.#context.clock.now();
    switch (decision.kind) {
      case "complete":
        if (
          await this.#store({
            ...this.#job,
            state: "completed",
            result: decision.result,
            finishedAt: now,
          })
        ) {
          this.#release(() => this.#delivery.ack());
          this.#context.events.emitJob("completed", this.#job, decision.result);
        }
        break;
      case "retry": {
        const failed: JobRecord = {
          ...this.#job,
          state: "failed",
          retryAt: now + decision.delayMs,
          errors: [...this.#job.errors, this.#attemptError(outcome, now)],
        };
        if (await this.#store(failed)) {
          // when the delayed stream cannot take it, nak(delay) still brings the retry back
          const delayed = await this.#context.delayRetry?.(failed, this.#delivery.body)
            .then(() => true, () => false);
          this.#release(() =>
            delayed ? this.#delivery.ack() : this.#delivery.nak(decision.delayMs)
          );
          this.#context.events.emitJob("failed", this.#job, failed.errors.at(-1)?.message);
          this.#context.events.emitJob("retrying", this.#job, decision.delayMs);
        }
        break;
      }
      case "dead":
        this.#job = {
          ...this.#job,
          errors: [...this.#job.errors, this.#attemptError(outcome, now)],
        };
        this.#context.events.emitJob("failed", this.#job, this.#job.errors.at(-1)?.message);
        await this.#kill(decision.reason);
        break;
    }
    return decision;
  }

  async #kill(reason: string): Promise<void> {
    const { deadLetters, clock, worker } = this.#context;
    const at = clock.now();
    const dead: JobRecord = { ...this.#job, state: "dead", finishedAt: at, deadReason: reason };
    const seq = await deadLetters.add({
      queue: dead.queue,
      reason,
      worker,
      at,
      raw: toBase64(this.#delivery.body),
      job: dead,
    });
    if (await this.#store({ ...dead, deadLetterSeq: seq })) {
      this.#release(() => this.#delivery.ack());
      this.#context.events.emitJob("dead", this.#job, reason);
    } else {
      // someone else took the job over meanwhile: the letter would name a job that is not dead
      await deadLetters.remove(seq);
    }
  }

  #attemptError(outcome: AttemptOutcome, at: number): AttemptError {
    const error = outcome.kind === "failed" ? outcome.error : undefined;
    return {
      attempt: this.#job.attempt,
      message: describe(error),
      name: error instanceof Error ? String(error.name) : typeof error,
      stack: error instanceof Error && typeof error.stack === "string" ? error.stack : undefined,
      worker: this.#context.worker,
      at,
    };
  }

  /**
   * Writes `next` over the record with compare-and-swap, one write at a time. Returns false
   * (and stores nothing) when the job was released or someone else took it over.
   */
  #store(next: JobRecord): Promise<boolean> {
    const write = this.#writes.then(async () => {
      if (this.#released) return false;
      const revision = await this.#context.jobs.update(this.#context.key, next, this.#revision);
      if (revision === null) {
        this.#released = true;
        return false;
      }
      this.#job = next;
      this.#revision = revision;
      return true;
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  #release(acknowledge: () => void): void {
    this.#released = true;
    this.#outcomeStored = true;
    acknowledge();
  }
}

/** What went wrong, in words, whatever was thrown: even an object `String()` cannot convert. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return `a thrown ${typeof error} that cannot be shown as text`;
  }
}
