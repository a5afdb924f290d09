import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { type WireNames, wireNames } from "../core/names.ts";
import { ConnectionService } from "./connection_service.ts";
import type { ServiceManager } from "./service_manager.ts";
import { followStream, type StreamFeed } from "./stream_feed.ts";
import { StreamService } from "./stream_service.ts";

/** A delayed job's message: the job message to publish when due, and when that is. */
export interface DelayedMessage {
  /** Its sequence in the delayed stream. */
  readonly seq: number;
  /** The job's queue. */
  readonly queue: string;
  /** The job's id. */
  readonly jobId: string;
  /** When it is due, in ms since the epoch. */
  readonly runAt: number;
  /**
   * The job's attempts when it was stored: 0 for a delayed job, the failed attempt for a
   * retry. A message whose job has moved on since is stale. Absent from messages stored
   * before naq recorded it.
   */
  readonly attempt?: number;
  /** The job message, exactly as it will go to the queue. */
  readonly body: Uint8Array;
}

const RUN_AT = "Naq-Run-At";
const ATTEMPT = "Naq-Attempt";
const STORE_DELETE_FAILED = 10057;

/**
 * Delayed jobs wait here, one subject per job, until a scheduler publishes them to their
 * queue. The due time travels in a header, so a scheduler can index every pending job
 * without reading a payload.
 */
export class DelayedJobStore {
  readonly #connection: ConnectionService;
  readonly #names: WireNames;

  private constructor(connection: ConnectionService, names: WireNames) {
    this.#connection = connection;
    this.#names = names;
  }

  /** Builds the store and ensures its stream. */
  static async create(services: ServiceManager): Promise<DelayedJobStore> {
    const names = wireNames(services.config.prefix);
    await (await services.get(StreamService)).ensure({
      name: names.delayedStream,
      subjects: [names.delayedSubjects],
      retention: "limits",
      replicas: services.config.streams.replicas,
    });
    return new DelayedJobStore(await services.get(ConnectionService), names);
  }

  /**
   * Stores a job message until `runAt`.
   *
   * @param attempt see {@linkcode DelayedMessage.attempt}
   * @param msgID deduplicates a repeated store within the stream's duplicate window
   * @returns whether the server saw it as a duplicate
   */
  async add(
    queue: string,
    jobId: string,
    { runAt, attempt }: { readonly runAt: number; readonly attempt: number },
    body: Uint8Array,
    msgID: string,
  ): Promise<{ duplicate: boolean }> {
    const h = headers();
    h.set(RUN_AT, String(runAt));
    h.set(ATTEMPT, String(attempt));
    const ack = await this.#connection.jetstream().publish(
      this.#names.delayedSubject(queue, jobId),
      body,
      { msgID, headers: h },
    );
    return { duplicate: ack.duplicate };
  }

  /** The job's latest delayed message, or `null` when it has none. */
  find(queue: string, jobId: string): Promise<DelayedMessage | null> {
    return this.#read({ last_by_subj: this.#names.delayedSubject(queue, jobId) });
  }

  /** The message at `seq`, or `null` when it was removed (fired or cancelled). */
  read(seq: number): Promise<DelayedMessage | null> {
    return this.#read({ seq });
  }

  /** The ids of the queue's jobs that have a delayed message: a scan, for purges. */
  async jobIds(queue: string): Promise<string[]> {
    const jsm = await this.#connection.jetstreamManager();
    const prefix = this.#names.delayedSubject(queue, "");
    const info = await jsm.streams.info(this.#names.delayedStream, {
      subjects_filter: `${prefix}*`,
    });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  /** Removes every delayed message of the job, so that none fires. */
  async removeJob(queue: string, jobId: string): Promise<void> {
    const jsm = await this.#connection.jetstreamManager();
    await jsm.streams.purge(this.#names.delayedStream, {
      filter: this.#names.delayedSubject(queue, jobId),
    });
  }

  /** Removes the message at `seq`; a message already gone is no error. */
  async remove(seq: number): Promise<void> {
    const jsm = await this.#connection.jetstreamManager();
    await jsm.streams.deleteMessage(this.#names.delayedStream, seq, false).catch((err) => {
      // 2.9 answers 10057 ("no message found", "stream store EOF") for a message not there
      const gone = err instanceof JetStreamApiError &&
        (err.code === JetStreamApiCodes.NoMessageFound || err.code === STORE_DELETE_FAILED);
      if (!gone) throw err;
    });
  }

  /**
   * Calls `onMessage(seq, runAt)` for every delayed message, those stored now and
   * those stored later, until stopped. Reads headers only.
   */
  follow(onMessage: (seq: number, runAt: number) => void): Promise<StreamFeed> {
    return followStream(this.#connection, this.#names.delayedStream, {
      deliver_policy: DeliverPolicy.All,
      headers_only: true,
    }, (message) => {
      const runAt = Number(message.headers?.get(RUN_AT));
      // a message without a due time was not stored by naq: due now, so it surfaces
      onMessage(message.seq, Number.isFinite(runAt) ? runAt : 0);
    });
  }

  async #read(query: { seq: number } | { last_by_subj: string }): Promise<DelayedMessage | null> {
    const jsm = await this.#connection.jetstreamManager();
    // null for a message that is not there, deleted or never stored
    const stored = await jsm.streams.getMessage(this.#names.delayedStream, query);
    if (!stored) return null;
    const subjectPrefix = this.#names.delayedSubjects.slice(0, -1); // "<prefix>.delayed."
    const [queue, jobId] = stored.subject.slice(subjectPrefix.length).split(".");
    return {
      seq: stored.seq,
      queue,
      jobId,
      runAt: Number(stored.header?.get(RUN_AT)) || 0,
      attempt: stored.header?.has(ATTEMPT) ? Number(stored.header.get(ATTEMPT)) : undefined,
      body: stored.data,
    };
  }
}
