import { type Consumer, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import type { ConnectionService } from "./connection_service.ts";
import { settleBriefly } from "./stream_feed.ts";

/** A message that a replay yields. */
export interface ReplayedMessage {
  /** Its sequence in the stream. */
  readonly seq: number;
  /** Its body. */
  readonly data: Uint8Array;
  /** When the stream stored it, in ms since the epoch by the server's clock. */
  readonly storedAt: number;
}

/** Which of a stream's messages {@linkcode replayStream} yields. */
export interface ReplayOptions {
  /** The subject whose messages to yield. */
  readonly subject: string;
  /**
   * Only messages the stream stored at this time or later, in ms since the epoch by the
   * server's clock; every message still stored when omitted.
   */
  readonly startTime?: number;
  /**
   * Ends after the message of this sequence (or the last one before it, when it is gone);
   * without it, the replay goes on with each message stored later.
   */
  readonly upToSeq?: number;
  /** Ends the replay when aborted. */
  readonly signal?: AbortSignal;
}

// messages asked for at a time: about what one screen of a replay shows
const PULL_MESSAGES = 256;
// how long a bounded read waits for messages that the stream no longer has (they expired since
// it was asked where to stop): only then does it wait at all
const DRAINED_WAIT_MS = 5_000;

/**
 * Yields the messages of `stream` on the subject from the start time, in the order stored,
 * then (without `upToSeq`) each one stored later, until the signal aborts or the iteration is
 * left. One ordered consumer reads them all, the stored ones and the new ones alike, so none
 * is missed or yielded twice between the two; it resumes after a reconnect where it left
 * off, and nothing stays on the server for long once the iteration ends. Nothing is asked of
 * the server before the first `next()`.
 */
export async function* replayStream(
  connection: ConnectionService,
  stream: string,
  options: ReplayOptions,
): AsyncGenerator<ReplayedMessage> {
  if (options.signal?.aborted) return;
  const consumer = await connection.jetstream().consumers.get(stream, {
    filter_subjects: options.subject,
    // nothing is stored before the epoch (nor does a Date hold the farthest instants)
    ...options.startTime === undefined || options.startTime <= 0
      ? { deliver_policy: DeliverPolicy.All }
      : {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(options.startTime).toISOString(),
      },
  });
  if (options.upToSeq === undefined) yield* follow(consumer, options.signal);
  else yield* readUpTo(consumer, options.upToSeq, options.signal);
}

async function* follow(
  consumer: Consumer,
  signal: AbortSignal | undefined,
): AsyncGenerator<ReplayedMessage> {
  const messages = await consumer.consume({ max_messages: PULL_MESSAGES });
  const stop = () => void settleBriefly(messages.close());
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    for await (const message of messages) yield replayed(message);
  } finally {
    signal?.removeEventListener("abort", stop);
    await settleBriefly(messages.close());
  }
}

async function* readUpTo(
  consumer: Consumer,
  upToSeq: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<ReplayedMessage> {
  try {
    while (!signal?.aborted) {
      // a pull waits only while the stream has none of the messages asked for: the reads
      // below stop at the last one stored, before the pull would wait
      const batch = await consumer.fetch({
        max_messages: PULL_MESSAGES,
        expires: DRAINED_WAIT_MS,
      });
      let received = 0;
      for await (const message of batch) {
        received += 1;
        if (message.seq > upToSeq) return;
        yield replayed(message);
        if (message.seq === upToSeq || message.info.pending === 0 || signal?.aborted) return;
      }
      if (received === 0) return; // the rest expired meanwhile
    }
  } finally {
    await settleBriefly(consumer.delete());
  }
}

function replayed(message: JsMsg): ReplayedMessage {
  return { seq: message.seq, data: message.data, storedAt: message.info.timestampNanos / 1e6 };
}
