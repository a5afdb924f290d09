import {
  JetStreamApiCodes,
  JetStreamApiError,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { headers as natsHeaders, nanos } from "@nats-io/nats-core";
import { ConfigError } from "../../errors.ts";
import type { Clock } from "../../clock.ts";
import { ConnectionService } from "./connection_service.ts";
import { retryWhileLeaderless } from "./retry_while_leaderless.ts";
import type { ServiceManager } from "./service_manager.ts";
import { type ReplayedMessage, type ReplayOptions, replayStream } from "./stream_replay.ts";

/** What a durable consumer has been handed, and holds. */
export interface ConsumerState {
  /** The stream sequence up to which it handed out messages. */
  readonly deliveredSeq: number;
  /** Messages it has yet to hand out. */
  readonly pending: number;
  /** Messages handed out and not yet acknowledged. */
  readonly ackPending: number;
  /** Pull requests waiting for messages. */
  readonly pulls: number;
}

/** A message a stream stored. */
export interface StoredMessage {
  readonly seq: number;
  readonly data: Uint8Array;
  /** Its headers, the first value of each. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Where the last message on a subject sits in its stream. */
export interface StoredPosition {
  /** Its sequence in the stream. */
  readonly seq: number;
  /** When the stream stored it, in ms since the epoch by the server's clock. */
  readonly storedAt: number;
}

/** What naq needs of a stream; everything else keeps the server's default. */
export interface StreamSpec {
  /** The stream's name, from `src/core/names.ts`. */
  readonly name: string;
  /** The subjects it captures. */
  readonly subjects: readonly string[];
  /** `workqueue` for jobs (a message lives until acknowledged), `limits` for events and KV. */
  readonly retention: "workqueue" | "limits";
  /** How many servers hold a copy. Default 1. */
  readonly replicas?: number;
  /** Messages older than this are removed; 0 or omitted keeps them. */
  readonly maxAgeMs?: number;
  /** The stream's size cap in bytes; -1 or omitted for none. */
  readonly maxBytes?: number;
  /** How long `Nats-Msg-Id` deduplication remembers an id: 2 min, or `maxAgeMs` if shorter. */
  readonly duplicateWindowMs?: number;
  /** Keep at most this many messages per subject, the oldest giving way; none when omitted. */
  readonly maxPerSubject?: number;
  /** Let messages carry a TTL (`Nats-TTL`) and schedules (`Nats-Schedule`). Default false. */
  readonly scheduled?: boolean;
  /** Let any replica answer direct gets, for listings. Default false. */
  readonly direct?: boolean;
}

/**
 * Ensures streams exist with the configuration naq needs: creates them, updates them when the
 * spec changed, and remembers what it ensured so the hot path asks the server once.
 */
export class StreamService {
  readonly #connection: ConnectionService;
  readonly #clock: Clock;
  readonly #ensured = new Map<string, { key: string; info: Promise<StreamInfo> }>();

  private constructor(connection: ConnectionService, clock: Clock) {
    this.#connection = connection;
    this.#clock = clock;
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<StreamService> {
    return new StreamService(await services.get(ConnectionService), services.clock);
  }

  /**
   * Creates the stream, or updates it when it differs from `spec`; idempotent, and asks the
   * server only once per spec, even under concurrent calls.
   *
   * @param spec what the stream must be
   * @throws {ConfigError} when an existing stream cannot be changed to match (its retention)
   */
  async ensure(spec: StreamSpec): Promise<void> {
    await this.#ensure(spec);
  }

  /** Forgets that `name` was ensured, so the next `ensure()` asks the server again. */
  forget(name: string): void {
    this.#ensured.delete(name);
  }

  #ensure(spec: StreamSpec): Promise<StreamInfo> {
    const key = JSON.stringify(spec);
    const cached = this.#ensured.get(spec.name);
    if (cached?.key === key) return cached.info;
    const info = this.#ensureNow(spec);
    this.#ensured.set(spec.name, { key, info });
    info.catch(() => {
      if (this.#ensured.get(spec.name)?.info === info) this.#ensured.delete(spec.name);
    });
    return info;
  }

  /**
   * Returns the stream's current info, or `null` when it does not exist.
   *
   * @ignore for naq's own services and tests: the type is nats.js's
   */
  async info(name: string): Promise<StreamInfo | null> {
    const jsm = await this.#connection.jetstreamManager();
    try {
      return await jsm.streams.info(name);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * What a durable consumer has been handed, or `null` when it (or its stream) does not exist.
   *
   * @ignore for naq's own services
   */
  async consumerState(stream: string, name: string): Promise<ConsumerState | null> {
    const jsm = await this.#connection.jetstreamManager();
    try {
      const info = await jsm.consumers.info(stream, name);
      return {
        deliveredSeq: info.delivered.stream_seq,
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        pulls: info.num_waiting,
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Stores a message and returns its sequence once the stream has it. */
  async publish(
    subject: string,
    data: Uint8Array,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<number> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(headers)) h.set(key, value);
    return (await this.#connection.jetstream().publish(subject, data, { headers: h })).seq;
  }

  /**
   * Reads up to `max` of the messages on `subject`, oldest first.
   *
   * @ignore for naq's own services
   */
  async read(stream: string, subject: string, max: number): Promise<StoredMessage[]> {
    const read: StoredMessage[] = [];
    if (max <= 0) return read;
    const consumer = await this.#connection.jetstream().consumers.get(stream, {
      filter_subjects: subject,
    });
    try {
      const batch = await consumer.fetch({ max_messages: max, expires: 2_000 });
      for await (const message of batch) {
        const headers: Record<string, string> = {};
        for (const [key, values] of message.headers ?? []) headers[key] = values[0] ?? "";
        read.push({ seq: message.seq, data: message.data, headers });
        if (message.info.pending === 0 || read.length >= max) break;
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
    return read;
  }

  /**
   * Where the last message on `subject` sits: `null` when the stream holds none.
   *
   * @ignore for naq's own services
   */
  async lastStored(stream: string, subject: string): Promise<StoredPosition | null> {
    const jsm = await this.#connection.jetstreamManager();
    const message = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    return message && { seq: message.seq, storedAt: message.time.getTime() };
  }

  /**
   * Yields the messages on a subject from a start time, in the order stored, then (unless
   * bounded by `upToSeq`) each one stored later: one ordered consumer, so none is missed or
   * doubled between the stored ones and the new ones. See {@linkcode replayStream}.
   *
   * @ignore for naq's own services
   */
  replay(stream: string, options: ReplayOptions): AsyncGenerator<ReplayedMessage> {
    return replayStream(this.#connection, stream, options);
  }

  /** Removes one message by sequence; false when it was already gone. */
  async removeMessage(stream: string, seq: number): Promise<boolean> {
    const jsm = await this.#connection.jetstreamManager();
    return await jsm.streams.deleteMessage(stream, seq, false).catch(() => false);
  }

  /** Removes every message on `subject` and returns how many there were. */
  async purge(stream: string, subject: string): Promise<number> {
    const jsm = await this.#connection.jetstreamManager();
    return (await jsm.streams.purge(stream, { filter: subject })).purged;
  }

  /** How many messages the stream holds on `subject` (no wildcards). */
  async count(stream: string, subject: string): Promise<number> {
    const jsm = await this.#connection.jetstreamManager();
    const info = await jsm.streams.info(stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /**
   * Deletes the stream, its messages and its consumers, and forgets that it was ensured.
   *
   * @returns `false` when there was no such stream
   */
  async delete(name: string): Promise<boolean> {
    this.forget(name);
    const jsm = await this.#connection.jetstreamManager();
    try {
      return await jsm.streams.delete(name);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    } finally {
      this.forget(name); // an ensure() that ran meanwhile may have cached it again
    }
  }

  /**
   * Lists the names of the streams on the server, optionally only those capturing `subject`.
   *
   * @param subject a subject (wildcards allowed) the listed streams must capture
   * @returns the names, in the server's order
   */
  async names(subject?: string): Promise<string[]> {
    const jsm = await this.#connection.jetstreamManager();
    const names: string[] = [];
    for await (const name of jsm.streams.names(subject)) names.push(name);
    return names;
  }

  #ensureNow(spec: StreamSpec): Promise<StreamInfo> {
    // a fresh cluster can take longer than a request's timeout to place a replicated stream;
    // each step is safe to repeat, as it reconciles with what is there
    return retryWhileLeaderless(this.#clock, {
      what: `create or update stream ${spec.name}`,
      stream: spec.name,
      write: () => this.#ensureOnce(spec),
    });
  }

  async #ensureOnce(spec: StreamSpec): Promise<StreamInfo> {
    const jsm = await this.#connection.jetstreamManager();
    const wanted = toStreamConfig(spec);
    const existing = await this.info(spec.name);
    if (!existing) {
      try {
        return await jsm.streams.add(wanted);
      } catch (err) {
        // another process created it first: fall through and reconcile with theirs
        const raced = await this.info(spec.name);
        if (!raced) throw err;
        return await this.#reconcile(spec, raced, wanted);
      }
    }
    return await this.#reconcile(spec, existing, wanted);
  }

  async #reconcile(
    spec: StreamSpec,
    existing: StreamInfo,
    wanted: WantedConfig,
  ): Promise<StreamInfo> {
    if (existing.config.retention !== wanted.retention) {
      throw new ConfigError(
        `Stream ${spec.name} exists with retention "${existing.config.retention}", but naq ` +
          `needs "${wanted.retention}"; delete the stream or choose another prefix`,
      );
    }
    if (!differs(existing.config, wanted)) return existing;
    const jsm = await this.#connection.jetstreamManager();
    return await jsm.streams.update(spec.name, { ...existing.config, ...wanted });
  }
}

type WantedConfig = Partial<StreamConfig> & { name: string };

// the server's own default; stated so that a stream's config compares equal run to run
const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

function toStreamConfig(spec: StreamSpec): WantedConfig {
  const maxAgeMs = spec.maxAgeMs ?? 0;
  // the server refuses a duplicate window longer than the stream keeps messages
  const duplicateWindowMs = Math.min(
    spec.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    maxAgeMs > 0 ? maxAgeMs : Infinity,
  );
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    retention: spec.retention as StreamConfig["retention"],
    storage: "file" as StreamConfig["storage"],
    num_replicas: spec.replicas ?? 1,
    max_age: nanos(maxAgeMs),
    max_bytes: spec.maxBytes ?? -1,
    duplicate_window: nanos(duplicateWindowMs),
    max_msgs_per_subject: spec.maxPerSubject ?? -1,
    ...(spec.scheduled && { allow_msg_ttl: true, allow_msg_schedules: true }),
    ...(spec.direct && { allow_direct: true }),
  };
}

function differs(current: StreamConfig, wanted: WantedConfig): boolean {
  return Object.entries(wanted).some(([field, value]) =>
    JSON.stringify(current[field as keyof StreamConfig]) !== JSON.stringify(value)
  );
}

/** True for JetStream's answer that the stream, or the consumer, does not exist. */
function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.ConsumerNotFound ||
      err.code === JetStreamApiCodes.StreamNotFound);
}
