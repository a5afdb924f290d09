import type { Clock } from "../../clock.ts";
import type { JobRecord } from "../../core/job.ts";
import type { JobEvent, JobEventType } from "../../core/job_event.ts";
import { wireNames } from "../../core/names.ts";
import {
  ConnectionService,
  type CoreMessage,
  type CoreSubscription,
} from "../core/connection_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";
import { StreamService } from "../core/stream_service.ts";

/** Which events to receive. */
export interface EventFilter {
  /** The queue whose events to receive. */
  readonly queue: string;
  /** Only these types; all when omitted. */
  readonly types?: readonly JobEventType[];
  /** Only this job's events. */
  readonly jobId?: string;
  /** Ends the iteration when aborted. */
  readonly signal?: AbortSignal;
}

// how long events wait to go out together (real time: events are for people watching, on
// whatever clock the jobs run), and how many at most go in one message
const BATCH_MS = 5;
const BATCH_MAX = 500;
// room left in a message for its subject and protocol
const HEADROOM = 1_024;

/**
 * Publishes job events to the events stream, and delivers them live to subscribers.
 *
 * Events are core messages, sent without waiting for the server's acknowledgement, and a
 * queue's events of a few milliseconds go out together in one message (a JSON array): under
 * load they cost a fraction of a message per job. `flush()` (and dispose) sends what waits
 * and waits until it reached the server; the stream stores them from there.
 */
export class EventService implements AsyncDisposable {
  readonly #connection: ConnectionService;
  readonly #names: ReturnType<typeof wireNames>;
  readonly #enabled: boolean;
  readonly #clock: Clock;
  /** Per subject, the events waiting to go out, as JSON, and their size. */
  readonly #pending = new Map<string, { events: string[]; bytes: number }>();
  #timer?: ReturnType<typeof setTimeout>;

  private constructor(
    connection: ConnectionService,
    prefix: string,
    enabled: boolean,
    clock: Clock,
  ) {
    this.#connection = connection;
    this.#names = wireNames(prefix);
    this.#enabled = enabled;
    this.#clock = clock;
  }

  /**
   * Builds the service and, when events are enabled, ensures the events stream. Events are
   * never worth stopping jobs for: when the stream cannot be ensured now (its only replica's
   * server is down), the service starts anyway and events still go out.
   */
  static async create(services: ServiceManager): Promise<EventService> {
    const { prefix, events, streams } = services.config;
    const connection = await services.get(ConnectionService);
    if (events.enabled) {
      const names = wireNames(prefix);
      await (await services.get(StreamService)).ensure({
        name: names.eventsStream,
        subjects: [names.eventsSubjects],
        retention: "limits",
        maxAgeMs: events.maxAge,
        maxBytes: events.maxBytes,
        replicas: events.replicas ?? streams.replicas,
      }).catch(() => {});
    }
    return new EventService(connection, prefix, events.enabled, services.clock);
  }

  /** Sends the event of `type` about `job` as it is now; returns at once. */
  emitJob(type: JobEventType, job: JobRecord, data?: unknown): void {
    this.emit({
      type,
      queue: job.queue,
      jobId: job.id,
      task: job.task,
      at: this.#clock.now(),
      attempt: job.attempt,
      data,
    });
  }

  /**
   * Sends an event within a few ms; returns at once, and never throws. Does nothing when
   * events are disabled. An event too large for one message (a large result or progress
   * value) goes out without its `data`, saying so.
   */
  emit(event: JobEvent): void {
    if (!this.#enabled) return;
    const limit = this.#connection.maxPayload - HEADROOM;
    let json = JSON.stringify(event);
    // bytes, not UTF-16 units: only a long event needs counting
    const bytes = json.length * 3 > limit ? new TextEncoder().encode(json).length : json.length;
    if (bytes > limit) {
      json = JSON.stringify({ ...event, data: `(${bytes} bytes: too large for an event)` });
    }
    const subject = this.#names.eventsSubject(event.queue);
    let batch = this.#pending.get(subject);
    // string length counts UTF-16 units, at most 3 bytes each in UTF-8
    if (batch && (batch.bytes + 3 * json.length + 1 > limit || batch.events.length >= BATCH_MAX)) {
      this.#sendBatch(subject, batch);
      batch = undefined;
    }
    if (!batch) this.#pending.set(subject, batch = { events: [], bytes: 2 });
    batch.events.push(json);
    batch.bytes += 3 * json.length + 1;
    // real time: see BATCH_MS
    this.#timer ??= setTimeout(() => this.#send(), BATCH_MS); // real time: see BATCH_MS
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [subject, batch] of this.#pending) this.#sendBatch(subject, batch);
  }

  #sendBatch(subject: string, batch: { events: string[] }): void {
    this.#pending.delete(subject);
    try {
      if (!this.#connection.closed) {
        this.#connection.publish(subject, `[${batch.events.join(",")}]`);
      }
    } catch {
      // events are for watching: one that cannot be sent must not fail a job
    }
  }

  /** Sends what waits, then waits until every event emitted so far has reached the server. */
  async flush(): Promise<void> {
    this.#send();
    await this.#connection.flush();
  }

  /**
   * Receives events as they happen, from the moment of this call (not of the first `next()`),
   * until the signal aborts or the iteration is left.
   */
  subscribe(filter: EventFilter): AsyncIterableIterator<JobEvent> {
    const subscription = this.#connection.messages(this.#names.eventsSubject(filter.queue));
    // listen for the abort now, not at the first next(): an iterator aborted (or never
    // iterated) before then must not keep its subscription
    const stop = () => subscription.unsubscribe();
    if (filter.signal?.aborted) stop();
    filter.signal?.addEventListener("abort", stop, { once: true });
    subscription.closed.finally(() => filter.signal?.removeEventListener("abort", stop));
    return matching(subscription, filter);
  }

  /** Flushes what was emitted. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.flush().catch(() => {});
  }
}

const decoder = new TextDecoder();

async function* matching(
  subscription: CoreSubscription & AsyncIterable<CoreMessage>,
  filter: EventFilter,
): AsyncGenerator<JobEvent> {
  try {
    for await (const message of subscription) {
      let events: unknown;
      try {
        events = JSON.parse(decoder.decode(message.data));
      } catch {
        continue; // not events naq wrote: not the listener's problem
      }
      if (!Array.isArray(events)) continue;
      for (const event of events as JobEvent[]) {
        if (filter.types && !filter.types.includes(event.type)) continue;
        if (filter.jobId && event.jobId !== filter.jobId) continue;
        yield event;
      }
    }
  } finally {
    subscription.unsubscribe();
  }
}
