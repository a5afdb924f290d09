/**
 * A queue's jobs as messages in its stream: one subject per job and kind of message, at most
 * one message on each. Every read and write of a job message goes through here.
 *
 * @module
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  PubHeaders,
  type StoredMsg,
} from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { Clock } from "../../clock.ts";
import { JOB_MESSAGE_KINDS, type JobMessageKind, type WireNames } from "../../core/names.ts";
import type { ConnectionService } from "./connection_service.ts";
import { retryWhileLeaderless } from "./retry_while_leaderless.ts";
import { StreamPublisher } from "./stream_publisher.ts";

/** What a job message says about its job, besides its body. */
export interface JobMessageHeaders {
  /** Attempts the job has used before this message: 0 for a new job. */
  readonly attempt: number;
  /** When a `delayed` or `retry` message comes due, in ms since the epoch. */
  readonly runAt?: number;
  /** The core subject to send the job's finished record to: its producer's. */
  readonly notify?: string;
  /**
   * The trace context of the job's enqueue (W3C `traceparent`, `tracestate`, `baggage`, as
   * OpenTelemetry's propagator injected them); absent when no tracing SDK is installed.
   */
  readonly trace?: Readonly<Record<string, string>>;
}

/** One stored message of a job. */
export interface JobMessage extends JobMessageHeaders {
  /** Which of the job's messages it is. */
  readonly kind: JobMessageKind;
  /** Its sequence in the queue's stream. */
  readonly seq: number;
  /** Its body. */
  readonly body: Uint8Array;
}

/** How to write a job message. */
export interface JobWrite extends JobMessageHeaders {
  /**
   * Write only if the latest of the job's messages is at this sequence, 0 for none: the
   * compare-and-swap that lets one writer at a time move a job on.
   */
  readonly expectLast: number;
  /** Remove the message after this long, in ms (final records, per `results.ttl`). */
  readonly ttlMs?: number;
  /** A repeat of the same write within the stream's duplicate window is stored once. */
  readonly msgID?: string;
}

/** The kinds {@linkcode JobMessages.counts} counts. */
export type CountedKind = Exclude<JobMessageKind, "run">;
const COUNTED_KINDS: readonly CountedKind[] = [
  "delayed",
  "retry",
  "completed",
  "dead",
  "cancelled",
];

const STORE_DELETE_FAILED = 10057;

// messages a listing reads per request
const LIST_BATCH = 1_000;

const ATTEMPT = "Naq-Attempt";
const RUN_AT = "Naq-Run-At";
const NOTIFY = "Naq-Notify";

/** The headers of a job message that carry its trace context (W3C trace context and baggage). */
export const TRACE_HEADERS: readonly string[] = ["traceparent", "tracestate", "baggage"];

/**
 * Reads and writes one queue's job messages. Every write is a compare-and-swap on the latest
 * message of its job; every read that must see a write goes to the stream's leader, not to a
 * replica that may lag.
 */
export class JobMessages {
  readonly #connection: ConnectionService;
  readonly #names: WireNames;
  readonly #clock: Clock;
  #publisher?: StreamPublisher;

  /** @param names the deployment's wire names */
  constructor(connection: ConnectionService, names: WireNames, clock: Clock) {
    this.#connection = connection;
    this.#names = names;
    this.#clock = clock;
  }

  /**
   * Writes the job's message of `kind`. A `delayed` or `retry` message with `runAt` is a
   * schedule: the server turns it into the job's `run` message when due.
   *
   * @returns the message's sequence, or `null` when the job's latest message is not at
   *   `expectLast` (someone else moved the job on)
   * @throws {NaqError} with code `UNAVAILABLE` when the stream took nothing for 30 s
   */
  async write(
    queue: string,
    jobId: string,
    kind: JobMessageKind,
    body: Uint8Array,
    write: JobWrite,
    onNoStream?: () => Promise<void>,
  ): Promise<number | null> {
    const h = natsHeaders();
    h.set(ATTEMPT, String(write.attempt));
    if (write.runAt !== undefined) h.set(RUN_AT, String(write.runAt));
    if (write.notify) h.set(NOTIFY, write.notify);
    if (write.trace) { for (const [key, value] of Object.entries(write.trace)) h.set(key, value); }
    // JetStream's own headers, as nats.js's publish options would set them
    if (write.msgID) h.set(PubHeaders.MsgIdHdr, write.msgID);
    h.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(write.expectLast));
    h.set(
      PubHeaders.ExpectedLastSubjectSequenceSubjectHdr,
      this.#names.jobSubjects(queue, jobId),
    );
    if (write.ttlMs) {
      h.set(PubHeaders.MessageTTL, `${Math.max(1, Math.ceil(write.ttlMs / 1_000))}s`);
    }
    if ((kind === "delayed" || kind === "retry") && write.runAt !== undefined) {
      // a schedule: the server publishes it to the job's run subject when due
      h.set(PubHeaders.Schedule, `@at ${new Date(write.runAt).toISOString()}`);
      h.set(PubHeaders.ScheduleTarget, this.#names.jobSubject(queue, jobId, "run"));
    }
    const subject = this.#names.jobSubject(queue, jobId, kind);
    this.#publisher ??= new StreamPublisher(this.#connection.nc);
    const publisher = this.#publisher;
    try {
      const ack = await retryWhileLeaderless(this.#clock, {
        what: `store the ${kind} message of job ${jobId} of queue ${queue}`,
        stream: this.#names.queueStream(queue),
        write: () => publisher.publish(subject, body, h),
        onNoResponders: onNoStream,
      });
      return ack.seq;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      // the server checks the sequence before Nats-Msg-Id: a write repeated after a lost
      // reply is refused, not found a duplicate; so a refusal is ours if we are the latest
      const latest = await this.latest(queue, jobId);
      return latest?.kind === kind && bytesEqual(latest.body, body) ? latest.seq : null;
    }
  }

  /** The latest of the job's messages, read from the stream's leader; `null` when none. */
  async latest(queue: string, jobId: string): Promise<JobMessage | null> {
    return await this.#get(queue, { last_by_subj: this.#names.jobSubjects(queue, jobId) });
  }

  /** Removes the message at `seq`; false when it was gone already, which is no error. */
  async remove(queue: string, seq: number): Promise<boolean> {
    const jsm = await this.#connection.jetstreamManager();
    return await jsm.streams.deleteMessage(this.#names.queueStream(queue), seq, false).catch(
      (err) => {
        // 2.15 answers 10057 ("no message found", "sequence 6 not found", "stream store EOF")
        // where older servers answered 10037
        const gone = err instanceof JetStreamApiError &&
          (err.code === JetStreamApiCodes.NoMessageFound || err.code === STORE_DELETE_FAILED ||
            /not found|no message|EOF/i.test(err.message));
        if (!gone) throw err;
        return false;
      },
    );
  }

  /**
   * How many messages of each final or scheduled kind the queue's stream holds: the server
   * counts them from its subject index for a consumer that is never pulled, one per kind.
   * (`run` messages are counted by the workers' own consumer: a work-queue stream allows
   * one consumer per subject.)
   */
  async counts(queue: string): Promise<Record<CountedKind, number>> {
    const jsm = await this.#connection.jetstreamManager();
    const stream = this.#names.queueStream(queue);
    const entries = await Promise.all(COUNTED_KINDS.map(async (kind) => {
      const name = this.#names.countConsumer(kind);
      const info = await jsm.consumers.info(stream, name).catch(() =>
        jsm.consumers.add(stream, {
          durable_name: name,
          filter_subject: this.#names.kindSubjects(queue, kind),
          // a work-queue stream's consumers have as many replicas as it has
          ack_policy: "explicit" as never,
        }).catch(() => jsm.consumers.info(stream, name)) // another process added it first
      );
      return [kind, info.num_pending] as const;
    }));
    return Object.fromEntries(entries) as Record<CountedKind, number>;
  }

  /**
   * Reads the latest message of every job of the queue: for listings, not hot paths. Pages
   * through the stream with direct gets, which any replica may answer.
   */
  async *all(queue: string): AsyncGenerator<{ jobId: string; message: JobMessage }> {
    const jsm = await this.#connection.jetstreamManager();
    const stream = this.#names.queueStream(queue);
    const latest = new Map<string, JobMessage>();
    // "message not found": no message at or after seq, which a batch says as an error
    const end = (err: unknown) => {
      if (err instanceof Error && /not found/i.test(err.message)) return null;
      throw err;
    };
    for (let seq = 1;;) {
      let count = 0;
      const batch = await jsm.direct.getBatch(stream, {
        seq,
        batch: LIST_BATCH,
        next_by_subj: this.#names.jobSubjects(queue, "*"),
      }).catch(end);
      if (!batch) break;
      try {
        for await (const stored of batch) {
          count += 1;
          seq = stored.seq + 1;
          const read = this.#read(stored);
          if (!read) continue;
          const seen = latest.get(read.jobId);
          if (seen && seen.seq > stored.seq) continue;
          latest.set(read.jobId, read.message);
        }
      } catch (err) {
        end(err);
      }
      if (count < LIST_BATCH) break;
    }
    for (const [jobId, message] of latest) yield { jobId, message };
  }

  /**
   * Reads one page of the queue's messages of `kind`, in stream order: only the page, however
   * many the queue holds (one direct get of at most `limit` messages, answered from the
   * server's subject index).
   *
   * @param options `after` the sequence the page starts past (0 for the first page),
   *   `through` the last sequence it may hold, `limit` at most how many
   */
  async page(
    queue: string,
    kind: JobMessageKind,
    options: { readonly after: number; readonly limit: number; readonly through?: number },
  ): Promise<{ jobId: string; message: JobMessage }[]> {
    const { after, limit, through = Infinity } = options;
    if (limit < 1 || after >= through) return [];
    const jsm = await this.#connection.jetstreamManager();
    const found: { jobId: string; message: JobMessage }[] = [];
    // "message not found": no message at or after seq, which a batch says as an error
    const end = (err: unknown) => {
      if (err instanceof Error && /not found/i.test(err.message)) return null;
      throw err;
    };
    const batch = await jsm.direct.getBatch(this.#names.queueStream(queue), {
      seq: after + 1,
      batch: limit,
      next_by_subj: this.#names.kindSubjects(queue, kind),
    }).catch(end);
    if (!batch) return found;
    try {
      for await (const stored of batch) {
        if (stored.seq > through) break;
        const read = this.#read(stored);
        if (read) found.push(read);
      }
    } catch (err) {
      end(err);
    }
    return found;
  }

  async #get(
    queue: string,
    query: { last_by_subj: string },
  ): Promise<JobMessage | null> {
    const jsm = await this.#connection.jetstreamManager();
    const stream = this.#names.queueStream(queue);
    let stored: StoredMsg | null;
    try {
      stored = await retryWhileLeaderless(this.#clock, {
        what: `read a job of queue ${queue}`,
        stream,
        write: () => jsm.streams.getMessage(stream, query),
      });
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
        return null;
      }
      throw err;
    }
    if (!stored) return null;
    return this.#read(stored)?.message ?? null;
  }

  /** A stored message as a job's, told by its subject; `null` when it is no job's. */
  #read(
    stored: Pick<StoredMsg, "subject" | "seq" | "data" | "header">,
  ): { jobId: string; message: JobMessage } | null {
    const tokens = stored.subject.split(".");
    const kind = tokens.at(-1) as JobMessageKind;
    if (tokens.length < 2 || !JOB_MESSAGE_KINDS.includes(kind)) return null;
    const message = { kind, seq: stored.seq, body: stored.data, ...readHeaders(stored.header) };
    return { jobId: tokens.at(-2)!, message };
  }
}

/** The naq headers of a job message as nats.js hands them over. */
export function readHeaders(
  h: { get(key: string): string; has(key: string): boolean } | undefined,
): JobMessageHeaders {
  const attempt = Number(h?.get(ATTEMPT));
  const runAt = h?.has(RUN_AT) ? Number(h.get(RUN_AT)) : undefined;
  const notify = h?.has(NOTIFY) ? h.get(NOTIFY) : undefined;
  return {
    attempt: Number.isInteger(attempt) && attempt >= 0 ? attempt : 0,
    ...(runAt !== undefined && Number.isFinite(runAt) && { runAt }),
    ...(notify && { notify }),
    ...(h?.has(TRACE_HEADERS[0]) && { trace: traceHeaders(h) }),
  };
}

/** The trace context a message carries: only read when it has a `traceparent`. */
function traceHeaders(h: { get(key: string): string; has(key: string): boolean }) {
  const trace: Record<string, string> = {};
  for (const key of TRACE_HEADERS) if (h.has(key)) trace[key] = h.get(key);
  return trace;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}
