import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type FetchOptions,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import type { QueueSettings } from "../../config/types.ts";
import type { ConnectionService } from "./connection_service.ts";
import { readHeaders } from "./job_messages.ts";

/** A job message as a worker holds it: its bytes and the acknowledgements it can send. */
export interface Delivery {
  /** The message body. */
  readonly body: Uint8Array;
  /** Its sequence in the queue's stream. */
  readonly seq: number;
  /** Attempts the job used before this message. */
  readonly attempt: number;
  /** How many times the message has been delivered, this time included. */
  readonly deliveries: number;
  /** Where to send the job's finished record, when its producer waits on it. */
  readonly notify?: string;
  /** When a delayed job or a retry came due, in ms since the epoch; absent for others. */
  readonly runAt?: number;
  /** The trace context of the job's enqueue, which every message of the job carries on. */
  readonly trace?: Readonly<Record<string, string>>;
  /** Done with: remove it from the queue. */
  ack(): void;
  /** Still working on it: restart the ack-wait countdown. */
  working(): void;
  /** Never deliver it again: for a message nothing can be stored for. */
  term(): void;
}

// how long one pull waits for messages; also the longest a closing worker waits for a pull
const PULL_EXPIRES_MS = 1_000;

/**
 * A queue's durable pull consumer, shared by all its workers: `max_ack_pending` caps the jobs
 * in flight across them, and naq counts attempts itself (`max_deliver` is unlimited).
 */
export class QueueConsumer {
  readonly #consumer: Consumer;

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  /** Creates the durable consumer, or updates it when the queue's settings changed. */
  static async open(
    connection: ConnectionService,
    stream: string,
    name: string,
    subject: string,
    settings: QueueSettings,
  ): Promise<QueueConsumer> {
    const jsm = await connection.jetstreamManager();
    const wanted = {
      ack_wait: nanos(settings.ackWait),
      max_ack_pending: settings.maxInFlight,
      filter_subject: subject,
    };
    try {
      const info = await jsm.consumers.info(stream, name);
      if (
        info.config.ack_wait !== wanted.ack_wait ||
        info.config.max_ack_pending !== wanted.max_ack_pending ||
        info.config.filter_subject !== wanted.filter_subject
      ) {
        // update explicitly: nats-server 2.9 would also accept add(), but that is a quirk
        await jsm.consumers.update(stream, name, wanted);
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) {
        throw err;
      }
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_deliver: -1,
        ...wanted,
      }).catch(async (addError) => {
        // another worker created it first
        await jsm.consumers.info(stream, name).catch(() => Promise.reject(addError));
      });
    }
    return new QueueConsumer(await connection.jetstream().consumers.get(stream, name));
  }

  /**
   * Pulls up to `max` messages, waiting at most about a second for them, or until `signal`
   * aborts; resolves once the pull has ended. Pull only as many as there are free slots: a
   * pulled message's ack wait is already running.
   *
   * Each message goes to `deliver` as it is read off the socket, not through an iterator: the
   * messages of one read start together, so their writes go out together too (nats.js sends
   * what was published within one microtask turn in one write, and a write costs more than a
   * job's own work). `deliver` must not throw.
   *
   * @throws what ended the pull, when it failed
   */
  async pull(
    max: number,
    signal: AbortSignal,
    deliver: (delivery: Delivery) => void,
  ): Promise<void> {
    const messages = await this.#consumer.fetch({
      max_messages: max,
      expires: PULL_EXPIRES_MS,
      // nats.js 3.4.0 takes a callback for fetch() too, though its type names it for consume()
      callback: (message: JsMsg) =>
        deliver({
          body: message.data,
          seq: message.seq,
          deliveries: message.info.deliveryCount,
          ...readHeaders(message.headers),
          ack: () => message.ack(),
          working: () => message.working(),
          term: () => message.term(),
        }),
    } as FetchOptions);
    // while the connection is down a pull outlives its expiry: stopping must not wait for it
    const stop = () => messages.stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const failure = await messages.closed();
      if (failure) throw failure;
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }
}
