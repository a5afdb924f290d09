import { parseEnvelope } from "../../core/envelope.ts";
import type { JobRecord } from "../../core/job.ts";
import { wireNames } from "../../core/names.ts";
import type { ServiceManager } from "../core/service_manager.ts";
import { StreamService } from "../core/stream_service.ts";

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
  readonly #streams: StreamService;
  readonly #names: ReturnType<typeof wireNames>;

  private constructor(streams: StreamService, prefix: string) {
    this.#streams = streams;
    this.#names = wireNames(prefix);
  }

  /** Builds the service and ensures the dead-letter stream. */
  static async create(services: ServiceManager): Promise<DeadLetterService> {
    const { prefix, streams } = services.config;
    const names = wireNames(prefix);
    const stores = await services.get(StreamService);
    await stores.ensure({
      name: names.deadStream,
      subjects: [`${prefix}.dead.>`],
      retention: "limits",
      replicas: streams.replicas,
    });
    return new DeadLetterService(stores, prefix);
  }

  /**
   * Stores a dead letter and returns its sequence once the server has it. The message's
   * bytes are the letter's body as they were, so they are kept once and need no encoding;
   * the rest travels in a header.
   */
  async add(letter: DeadLetter): Promise<number> {
    const { raw, ...rest } = letter;
    return await this.#streams.publish(this.#names.deadSubject(letter.queue), fromBase64(raw), {
      [LETTER]: JSON.stringify(rest),
    });
  }

  /** Lists a queue's dead letters, oldest first, at most `limit`. */
  async list(queue: string, limit = 100): Promise<StoredDeadLetter[]> {
    const wanted = Math.min(limit, await this.count(queue));
    const messages = await this.#streams.read(
      this.#names.deadStream,
      this.#names.deadSubject(queue),
      wanted,
    );
    return messages.map(({ seq, data, headers }) => {
      const rest = JSON.parse(headers[LETTER] || "{}") as Omit<DeadLetter, "raw">;
      return { ...withPayload(rest, data), raw: toBase64(data), seq };
    });
  }

  /** Removes one dead letter by sequence; false when it was already gone. */
  remove(seq: number): Promise<boolean> {
    return this.#streams.removeMessage(this.#names.deadStream, seq);
  }

  /** Removes every dead letter of `queue` and returns how many there were. */
  purge(queue: string): Promise<number> {
    return this.#streams.purge(this.#names.deadStream, this.#names.deadSubject(queue));
  }

  /** How many dead letters `queue` has. */
  count(queue: string): Promise<number> {
    return this.#streams.count(this.#names.deadStream, this.#names.deadSubject(queue));
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
