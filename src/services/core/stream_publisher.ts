/**
 * JetStream publishes for the job path, answered on one subscription per connection.
 *
 * nats.js's `js.publish()` makes each publish a request of its own: a timer, a deferred, a
 * mux entry and, when it settles, an `Error` with a captured stack (for a "cancelled" that
 * nothing sees). For a job, which costs two such publishes, that was about a tenth of a
 * process's CPU, and most of the garbage that grows a producer's heap while it enqueues.
 * Here a publish is one `nc.publish()` with a reply subject under a wildcard subscription,
 * an entry in a map, and one sweep timer for every publish in flight.
 *
 * It fails as nats.js's publish does, for the callers that tell failures apart: a timeout
 * is nats.js's `TimeoutError`, no responders a `RequestError` whose `isNoResponders()` is
 * true, a refusal a `JetStreamApiError` with the server's code, a closed connection a
 * `ClosedConnectionError`, and a message over `max_payload` the error nats.js throws.
 *
 * @module
 */
import { type ApiError, JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from "@nats-io/nats-core";

// as nats.js's JetStream client waits for an answer by default
const PUBLISH_TIMEOUT_MS = 5_000;
// how often publishes in flight are looked at for their timeout
const SWEEP_MS = 250;

interface InFlight {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: unknown) => void;
  readonly subject: string;
  /** When it times out, in real time: milliseconds of the monotonic clock. */
  readonly due: number;
}

/** Publishes to JetStream streams and waits for their acknowledgements. */
export class StreamPublisher {
  readonly #nc: NatsConnection;
  readonly #inFlight = new Map<string, InFlight>();
  #inbox?: string;
  #next = 0;
  #sweeping?: ReturnType<typeof setTimeout>;
  readonly #decoder = new TextDecoder();

  /** @param nc the connection to publish on; it may not be closed yet */
  constructor(nc: NatsConnection) {
    this.#nc = nc;
    // nothing answers a publish once the connection is closed for good; a stored write whose
    // answer was still on its way when the connection drained is reported closed too
    nc.closed().then(() => this.#rejectAll(new ClosedConnectionError()));
  }

  /**
   * Publishes `body` to `subject` with `headers` (JetStream's expectations among them), and
   * resolves with the stream's acknowledgement.
   *
   * @throws {JetStreamApiError} when the stream refused it
   * @throws {TimeoutError} (nats.js's) when no answer came in time
   * @throws {RequestError} when no server answered on the subject (no stream, or no leader)
   */
  publish(subject: string, body: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    const { promise, resolve, reject } = Promise.withResolvers<PubAck>();
    const token = (this.#next++).toString(36);
    try {
      const inbox = this.#listen();
      this.#nc.publish(subject, body, { reply: `${inbox}.${token}`, headers });
    } catch (err) {
      reject(err); // over max_payload, or the connection closed
      return promise;
    }
    // real time: a network timeout, as nats.js's own
    const due = performance.now() + PUBLISH_TIMEOUT_MS; // real time
    this.#inFlight.set(token, { resolve, reject, subject, due });
    this.#sweepLater();
    return promise;
  }

  #listen(): string {
    if (this.#inbox) return this.#inbox;
    const inbox = createInbox();
    this.#nc.subscribe(`${inbox}.*`, {
      callback: (err, message) => {
        if (!err) return this.#answered(inbox, message);
        // the server ended the subscription (a permissions error): no answer can come to
        // what waits, and the next publish subscribes anew
        if (this.#inbox === inbox) this.#inbox = undefined;
        this.#rejectAll(err);
      },
    });
    this.#inbox = inbox;
    return inbox;
  }

  #rejectAll(err: unknown): void {
    for (const [token, publish] of this.#inFlight) {
      this.#inFlight.delete(token);
      publish.reject(err);
    }
  }

  #answered(inbox: string, message: Msg): void {
    const token = message.subject.slice(inbox.length + 1);
    const publish = this.#inFlight.get(token);
    if (!publish) return; // timed out already
    this.#inFlight.delete(token);
    if (message.data.length === 0 && message.headers?.code === 503) {
      return publish.reject(
        new RequestError("no responders", { cause: new NoRespondersError(publish.subject) }),
      );
    }
    let answer: PubAck & { error?: ApiError };
    try {
      answer = JSON.parse(this.#decoder.decode(message.data));
    } catch (err) {
      return publish.reject(err);
    }
    if (answer.error) return publish.reject(new JetStreamApiError(answer.error));
    if (!answer.stream) return publish.reject(new Error("invalid ack response"));
    answer.duplicate ??= false;
    publish.resolve(answer);
  }

  /** Times out what waited too long; one timer for every publish in flight. */
  #sweepLater(): void {
    if (this.#sweeping !== undefined) return;
    // real time: see PUBLISH_TIMEOUT_MS
    this.#sweeping = setTimeout(() => { // real time: see above
      this.#sweeping = undefined;
      const now = performance.now(); // real time, as the timer
      for (const [token, publish] of this.#inFlight) {
        if (publish.due > now) break; // in the order they were sent, so of their deadlines
        this.#inFlight.delete(token);
        publish.reject(new TimeoutError());
      }
      if (this.#inFlight.size > 0) this.#sweepLater();
    }, SWEEP_MS);
    // publishes in flight have the connection, which keeps the process alive
    Deno.unrefTimer(this.#sweeping);
  }
}
