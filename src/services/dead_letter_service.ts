import { parseEnvelope } from "../core/envelope.ts";
import type { JobRecord } from "../core/job.ts";
import { wireNames } from "../core/names.ts";
import { headers } from "@nats-io/nats-core";
import { ConnectionService } from "./connection_service.ts";
import type { ServiceManager } from "./service_manager.ts";
import { StreamService } from "./stream_service.ts";

const LETTER = "Naq-Dead-Letter";

/** A job, or a message that never was one, that naq gave up on. */
export interface DeadLetter {
  /** The queue it came from. */
  readonly queue: string;
  /** Why it is here. */
  readonly reason: string;
  /** The worker that gave up on it. */
  readonly worker: string;
  /** When, in ms since the epoch. */
  readonly at: number;
  /** The original message's bytes, base64: kept exactly, even when they are not JSON. */
  readonly raw: string;
  /** The job with its payload and every attempt's error, when the message was a job. */
  readonly job?: JobRecord;
}

/** A dead letter with its place in the dead-letter stream. */
export interface StoredDeadLetter extends DeadLetter {
  /** Its sequence in the dead-letter stream; pass it to `remove()`. */
  readonly seq: number;
}

/**
 * The dead-letter store: one limits stream for every queue, kept until purged, so a dead
 * job can be listed, retried or purged later.
 */
export class DeadLetterService {
  readonly #connection: ConnectionService;
  readonly #names: ReturnType<typeof wireNames>;

  private constructor(connection: ConnectionService, prefix: string) {
    this.#connection = connection;
    this.#names = wireNames(prefix);
  }

  /** Builds the service and ensures the dead-letter stream. */
  static async create(services: ServiceManager): Promise<DeadLetterService> {
    const { prefix, streams } = services.config;
    const names = wireNames(prefix);
    await (await services.get(StreamService)).ensure({
      name: names.deadStream,
      subjects: [`${prefix}.dead.>`],
      retention: "limits",
      replicas: streams.replicas,
    });
    return new DeadLetterService(await services.get(ConnectionService), prefix);
  }

  /**
   * Stores a dead letter and returns its sequence once the server has it. The message's
   * bytes are the letter's body as they were, so they are kept once and need no encoding;
   * the rest travels in a header.
   */
  async add(letter: DeadLetter): Promise<number> {
    const { raw, ...rest } = letter;
    const h = headers();
    h.set(LETTER, JSON.stringify(rest));
    const ack = await this.#connection.jetstream().publish(
      this.#names.deadSubject(letter.queue),
      fromBase64(raw),
      { headers: h },
    );
    return ack.seq;
  }

  /** Lists a queue's dead letters, oldest first, at most `limit`. */
  async list(queue: string, limit = 100): Promise<StoredDeadLetter[]> {
    const letters: StoredDeadLetter[] = [];
    const wanted = Math.min(limit, await this.count(queue));
    if (wanted <= 0) return letters;
    const consumer = await this.#connection.jetstream().consumers.get(this.#names.deadStream, {
      filter_subjects: this.#names.deadSubject(queue),
    });
    try {
      const batch = await consumer.fetch({ max_messages: wanted, expires: 2_000 });
      for await (const message of batch) {
        const rest = JSON.parse(message.headers?.get(LETTER) || "{}") as Omit<DeadLetter, "raw">;
        letters.push({
          ...withPayload(rest, message.data),
          raw: toBase64(message.data),
          seq: message.seq,
        });
        if (message.info.pending === 0 || letters.length >= wanted) break;
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
    return letters;
  }

  /** Removes one dead letter by sequence; false when it was already gone. */
  async remove(seq: number): Promise<boolean> {
    const jsm = await this.#connection.jetstreamManager();
    return await jsm.streams.deleteMessage(this.#names.deadStream, seq, false).catch(() => false);
  }

  /** Removes every dead letter of `queue` and returns how many there were. */
  async purge(queue: string): Promise<number> {
    const jsm = await this.#connection.jetstreamManager();
    const response = await jsm.streams.purge(this.#names.deadStream, {
      filter: this.#names.deadSubject(queue),
    });
    return response.purged;
  }

  /** How many dead letters `queue` has. */
  async count(queue: string): Promise<number> {
    const jsm = await this.#connection.jetstreamManager();
    const subject = this.#names.deadSubject(queue);
    const info = await jsm.streams.info(this.#names.deadStream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }
}

/** A letter's job with its payload, which the letter keeps only in the job's own bytes. */
function withPayload<L extends { job?: JobRecord }>(letter: L, raw: Uint8Array): L {
  if (!letter.job || letter.job.payload !== undefined) return letter;
  const parsed = parseEnvelope(raw);
  return parsed.ok
    ? { ...letter, job: { ...letter.job, payload: parsed.envelope.payload } }
    : letter;
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/** Encodes bytes as base64, the form a dead letter keeps its original message in. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
