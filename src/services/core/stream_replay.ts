import {
  type Consumer,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  JetStreamError,
  type JsMsg,
  type OrderedConsumerOptions,
} from "@nats-io/jetstream";
import { ErrorCode, NaqError } from "../../errors.ts";
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
  /**
   * How many times the replay found its stream deleted and created again before this
   * message: 0 on the stream it started on. Sequences restart with each new stream.
   */
  readonly recreated: number;
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
  /**
   * Called when a replay that goes on live finds its stream gone: it may create the stream
   * again, for the replay to follow it from its first message. Without it, or when the
   * stream is still gone after, the replay ends with an error.
   */
  readonly restore?: () => Promise<void>;
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
  const start: Partial<OrderedConsumerOptions> = {
    filter_subjects: options.subject,
    // nothing is stored before the epoch (nor does a Date hold the farthest instants)
    ...options.startTime === undefined || options.startTime <= 0
      ? { deliver_policy: DeliverPolicy.All }
      : {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(options.startTime).toISOString(),
      },
  };
  const consumer = await connection.jetstream().consumers.get(stream, start);
  if (options.upToSeq === undefined) yield* follow(connection, stream, consumer, start, options);
  else yield* readUpTo(consumer, options.upToSeq, options.signal);
}

/**
 * Reads on live, past the loss of the consumer. nats.js's ordered consumer, left to itself,
 * notices a deleted stream only by missed heartbeats (30 s), then creates its consumer again
 * at the old sequence + 1, which skips the first messages of a stream created again; for a
 * replay that started at a time, the server refuses that consumer (a start sequence and a
 * start time), and it tries again forever. So it is told to give up instead, and this starts
 * a consumer afresh: after the last message yielded on the same stream (a consumer deleted,
 * or lost with a server's restart), from the start on a new one.
 */
async function* follow(
  connection: ConnectionService,
  stream: string,
  first: Consumer,
  start: Partial<OrderedConsumerOptions>,
  options: ReplayOptions,
): AsyncGenerator<ReplayedMessage> {
  const { signal } = options;
  let consumer = first;
  let recreated = 0;
  let lastSeq = 0;
  for (;;) {
    const consumerCreated = Date.parse((await consumer.info(true)).created);
    try {
      for await (const message of consumeLive(consumer, signal)) {
        lastSeq = message.seq;
        yield { ...replayed(message), recreated };
      }
      return; // stopped, or the connection closed for good
    } catch (err) {
      if (signal?.aborted) return;
      if (!isMissingResource(err)) throw err;
      const found = await findStream(connection, stream, options.restore);
      if (!found) {
        throw new NaqError(
          ErrorCode.NotFound,
          `Cannot go on following the stream ${stream}: it was deleted while being read ` +
            "and is not there again; follow it again once it is created",
          { cause: err },
        );
      }
      // a stream created after the consumer, or shorter than what was read, is another one:
      // all it holds was stored after the replay started
      if (found.created > consumerCreated || found.lastSeq < lastSeq) {
        recreated += 1;
        lastSeq = 0;
      }
      consumer = await connection.jetstream().consumers.get(
        stream,
        lastSeq === 0 ? start : {
          filter_subjects: options.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: lastSeq + 1,
        },
      );
    }
  }
}

/** The consumer's messages until stopped; throws when its stream or itself is gone. */
async function* consumeLive(
  consumer: Consumer,
  signal: AbortSignal | undefined,
): AsyncGenerator<JsMsg> {
  const messages = await consumer.consume({
    max_messages: PULL_MESSAGES,
    abort_on_missing_resource: true,
  });
  const stop = () => void settleBriefly(messages.close());
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    yield* messages;
  } finally {
    signal?.removeEventListener("abort", stop);
    await settleBriefly(messages.close());
    // closing leaves the consumer on the server for its inactive threshold (5 minutes)
    await settleBriefly(consumer.delete());
  }
}

/** The stream's creation (ms, by the server's clock) and last sequence; null when gone. */
async function findStream(
  connection: ConnectionService,
  stream: string,
  restore: (() => Promise<void>) | undefined,
): Promise<{ created: number; lastSeq: number } | null> {
  const jsm = await connection.jetstreamManager();
  for (const restoring of [false, true]) {
    if (restoring) {
      if (!restore) return null;
      await restore();
    }
    try {
      const info = await jsm.streams.info(stream);
      return { created: Date.parse(info.created), lastSeq: info.state.last_seq };
    } catch (err) {
      if (!isMissingResource(err)) throw err;
    }
  }
  return null;
}

/** True for the errors of a stream, or a consumer, that is not there (any more). */
function isMissingResource(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamNotFound ||
      err.code === JetStreamApiCodes.ConsumerNotFound;
  }
  // the 409 "consumer deleted" a pull gets as the consumer, or its stream, is deleted
  return err instanceof JetStreamError && (err as { code?: unknown }).code === 409;
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
        yield { ...replayed(message), recreated: 0 };
        if (message.seq === upToSeq || message.info.pending === 0 || signal?.aborted) return;
      }
      if (received === 0) return; // the rest expired meanwhile
    }
  } finally {
    await settleBriefly(consumer.delete());
  }
}

function replayed(message: JsMsg): Omit<ReplayedMessage, "recreated"> {
  return { seq: message.seq, data: message.data, storedAt: message.info.timestampNanos / 1e6 };
}
