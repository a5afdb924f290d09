/**
 * Waiting out a stream that cannot take a write for a while: one that has no leader.
 *
 * @module
 */
// nats.js's own timeout, not naq's TimeoutError
import { RequestError, TimeoutError as RequestTimeout } from "@nats-io/nats-core";
import type { Clock } from "../../clock.ts";
import type { BackoffSettings } from "../../config/types.ts";
import { retryDelay } from "../../core/backoff.ts";
import { ErrorCode, NaqError } from "../../errors.ts";

/** The write to retry, named for errors. */
export interface LeaderlessWrite<T> {
  /** What the write does, as in "Cannot <what>": `publish job 42 to queue emails`. */
  readonly what: string;
  /** The stream it writes to. */
  readonly stream: string;
  /** The write; it must be safe to repeat (deduplicated, or compare-and-swap). */
  readonly write: () => Promise<T>;
  /**
   * Called after a "no responders" before the next attempt, for a stream that may have
   * been deleted; a {@linkcode NaqError} it throws ends the retries.
   */
  readonly onNoResponders?: () => Promise<void>;
}

/**
 * How long a write keeps trying while no server of its stream takes it: longer than a
 * replicated stream takes to elect a leader (about 5 s on nats-server 2.15.1 after its
 * leader's server was killed, more on a loaded machine), short enough that a producer facing
 * a stream that lost its quorum hears so.
 */
export const LEADERLESS_PATIENCE_MS = 30_000;

// between attempts: 50 ms doubling to 1 s, spread so that a batch's writes do not retry in step
const RETRY_BACKOFF: BackoffSettings = {
  type: "exponential",
  delay: 50,
  maxDelay: 1_000,
  jitter: 0.2,
  delays: [],
};

/**
 * Runs a JetStream write, and again while its stream cannot take it, for up to
 * {@linkcode LEADERLESS_PATIENCE_MS} by `clock`. "No responders" means that no server leads
 * the stream: it was created a moment ago, is electing a leader, or was deleted. A timeout
 * may be a request to a leader that died, and the write may have landed: so the write must
 * be safe to repeat. Any other error ends it at once.
 *
 * @returns what the write returned
 * @throws {NaqError} with code `UNAVAILABLE` when the stream took nothing in that time
 */
export async function retryWhileLeaderless<T>(
  clock: Clock,
  { what, stream, write, onNoResponders }: LeaderlessWrite<T>,
): Promise<T> {
  const started = clock.monotonic();
  for (let attempt = 1;; attempt++) {
    try {
      return await write();
    } catch (err) {
      const noResponders = isNoResponders(err);
      if (!noResponders && !(err instanceof RequestTimeout)) throw err;
      const delayMs = retryDelay(RETRY_BACKOFF, attempt, Math.random());
      const waited = clock.monotonic() - started;
      if (waited + delayMs > LEADERLESS_PATIENCE_MS) {
        throw unavailable(what, stream, waited, noResponders, err);
      }
      await clock.sleep(delayMs);
      if (noResponders) await onNoResponders?.();
    }
  }
}

/**
 * No server answered on the subject: nats.js 3.4.0's publish throws that as
 * `JetStreamNotEnabled`, naq's StreamPublisher as the `RequestError` that causes it.
 */
function isNoResponders(err: unknown): boolean {
  if (err instanceof RequestError) return err.isNoResponders();
  // nats.js 3.4.0 does not export that class from its public entry point
  return err instanceof Error && err.name === "JetStreamNotEnabled" &&
    err.cause instanceof RequestError && err.cause.isNoResponders();
}

function unavailable(
  what: string,
  stream: string,
  waitedMs: number,
  noResponders: boolean,
  cause: unknown,
): NaqError {
  const why = noResponders
    ? "no server of it answered: it has no leader, as it is electing one or too few of its " +
      "servers are up"
    : "its leader did not answer in time";
  return new NaqError(
    ErrorCode.Unavailable,
    `Cannot ${what}: stream ${stream} took nothing for ${Math.round(waitedMs / 1_000)} s, as ` +
      `${why}. Check the stream (nats stream info ${stream}) and its servers, then try again`,
    { cause },
  );
}
