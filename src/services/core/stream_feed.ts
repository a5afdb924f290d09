import { systemClock } from "../../clock.ts";
import type { JsMsg, OrderedConsumerOptions } from "@nats-io/jetstream";
import type { ConnectionService } from "./connection_service.ts";

/** A stream followed by {@linkcode followStream}. */
export interface StreamFeed {
  /** Resolves when the feed ends: stopped, or failed (then it rejects). */
  readonly ended: Promise<void>;
  /** Stops following. */
  stop(): Promise<void>;
}

// on a connection that closed for good, closing a consumer never settles: do not wait long
const STOP_WAIT_MS = 1_000;

/**
 * Calls `onMessage` for each message of `stream` the options select, in order, then for each
 * one stored later, until stopped. An ordered consumer sees only what the stream stored (a
 * core subscription would also see writes the stream refused), resumes after a reconnect
 * where it left off, and leaves nothing on the server for long once stopped.
 */
export async function followStream(
  connection: ConnectionService,
  stream: string,
  options: Partial<OrderedConsumerOptions>,
  onMessage: (message: JsMsg) => void,
): Promise<StreamFeed> {
  const consumer = await connection.jetstream().consumers.get(stream, options);
  const messages = await consumer.consume();
  const ended = (async () => {
    for await (const message of messages) onMessage(message);
  })();
  ended.catch(() => {});
  return {
    ended,
    stop: () => settleBriefly(Promise.all([messages.close(), ended])),
  };
}

/**
 * Waits for `closing` (a consumer's messages closing) to settle, but not for long: on a
 * connection that closed for good it never does. Never rejects.
 */
export async function settleBriefly(closing: Promise<unknown>): Promise<void> {
  // real time: this waits for the server, which lives on it
  const waited = new AbortController();
  await Promise.race([
    closing.catch(() => {}),
    systemClock.sleep(STOP_WAIT_MS, waited.signal).catch(() => {}),
  ]);
  waited.abort();
}
