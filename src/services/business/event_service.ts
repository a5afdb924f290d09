import type { Clock } from "../../clock.ts";
import type { NaqConfig } from "../../config/types.ts";
import type { JobRecord } from "../../core/job.ts";
import type { JobEvent, JobEventType } from "../../core/job_event.ts";
import { wireNames } from "../../core/names.ts";
import {
  eventHistoryDisabled,
  type EventsSource,
  type HistoryFilter,
  matches,
  readEvents,
  replayEvents,
  STORED_LATE_MS,
  unpack,
} from "./event_history.ts";
import {
  ConnectionService,
  type CoreMessage,
  type CoreSubscription,
} from "../core/connection_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";
import { StreamService, type StreamSpec } from "../core/stream_service.ts";

/** Which events to receive. */
export interface EventFilter extends HistoryFilter {
  /**
   * Replays first the stored events whose time `at` is this instant (ms since the epoch) or
   * later, then goes on live; live only when omitted. Needs events enabled.
   */
  readonly since?: number;
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
  readonly #streams: StreamService;
  readonly #stream: StreamSpec;
  /** Per subject, the events waiting to go out, as JSON, and their size. */
  readonly #pending = new Map<string, { events: string[]; bytes: number }>();
  #timer?: ReturnType<typeof setTimeout>;

  private constructor(
    connection: ConnectionService,
    streams: StreamService,
    config: NaqConfig,
    clock: Clock,
  ) {
    this.#connection = connection;
    this.#streams = streams;
    this.#names = wireNames(config.prefix);
    this.#stream = eventsStreamSpec(config);
    this.#enabled = config.events.enabled;
    this.#clock = clock;
  }

  /**
   * Builds the service and, when events are enabled, ensures the events stream. Events are
   * never worth stopping jobs for: when the stream cannot be ensured now (its only replica's
   * server is down), the service starts anyway and events still go out.
   */
  static async create(services: ServiceManager): Promise<EventService> {
    const { config } = services;
    const connection = await services.get(ConnectionService);
    const streams = await services.get(StreamService);
    if (config.events.enabled) await streams.ensure(eventsStreamSpec(config)).catch(() => {});
    return new EventService(connection, streams, config, services.clock);
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
   *
   * With `since`, it first replays the stored events whose time `at` is `since` or later,
   * then goes on with each event stored later: all from one ordered consumer on the events
   * stream (see {@linkcode StreamService.replay}), so none is missed or doubled where the
   * history ends, and a live event is never cut by its time (a producer's clock may lag).
   * Events then arrive once stored, a little later than a live subscription hears them. Such
   * a replay starts at the first `next()`, and misses nothing for it: it starts at `since`.
   * Should the events stream be deleted meanwhile, the replay creates it again and goes on
   * with its events from the first (those of the old one are gone); it fails when the stream
   * cannot be created again.
   *
   * @throws {ConfigError} with `since`, when events are disabled
   */
  subscribe(filter: EventFilter): AsyncIterableIterator<JobEvent> {
    if (filter.since !== undefined) {
      if (!this.#enabled) throw eventHistoryDisabled();
      return this.#replay({ ...filter, since: filter.since });
    }
    const subscription = this.#connection.messages(this.#names.eventsSubject(filter.queue));
    // listen for the abort now, not at the first next(): an iterator aborted (or never
    // iterated) before then must not keep its subscription
    const stop = () => subscription.unsubscribe();
    if (filter.signal?.aborted) stop();
    filter.signal?.addEventListener("abort", stop, { once: true });
    subscription.closed.finally(() => filter.signal?.removeEventListener("abort", stop));
    return matching(subscription, filter);
  }

  /**
   * The stored events of a queue that match, in the order stored, up to the last one stored
   * when called. The events stream is indexed by queue and by time, not by job: this reads
   * every event of the queue from `since` (every one the stream keeps without it) and keeps
   * the matching ones, so a `jobId` filter costs as much as the queue's events over the time
   * read.
   *
   * @throws {ConfigError} when events are disabled
   */
  async history(filter: HistoryFilter): Promise<JobEvent[]> {
    const { since } = filter;
    return await readEvents(
      await this.#source(filter.queue),
      since === undefined ? undefined : since - STORED_LATE_MS,
      (event) => (since === undefined || event.at >= since) && matches(event, filter),
    );
  }

  /**
   * A job's stored events, in the order stored: {@linkcode history} of its queue, read from
   * the job's enqueue to its finish (each a minute wider, for clocks that differ) and not cut
   * by time, as a worker's clock may lag the producer's.
   *
   * @param span the job's record's `enqueuedAt` and, once finished, `finishedAt`; every event
   *   the stream keeps is read when they are not known
   * @throws {ConfigError} when events are disabled
   */
  async timeline(
    queue: string,
    jobId: string,
    span: { readonly enqueuedAt?: number; readonly finishedAt?: number } = {},
  ): Promise<JobEvent[]> {
    const { enqueuedAt, finishedAt } = span;
    return await readEvents(
      await this.#source(queue),
      enqueuedAt === undefined ? undefined : enqueuedAt - STORED_LATE_MS,
      (event) => event.jobId === jobId,
      finishedAt === undefined ? undefined : finishedAt + STORED_LATE_MS,
    );
  }

  async *#replay(filter: EventFilter & { readonly since: number }): AsyncGenerator<JobEvent> {
    yield* replayEvents(await this.#source(filter.queue), filter);
  }

  /** Where the queue's events are stored, once the stream is there to read. */
  async #source(queue: string): Promise<EventsSource> {
    if (!this.#enabled) throw eventHistoryDisabled();
    await this.#streams.ensure(this.#stream);
    return {
      streams: this.#streams,
      stream: this.#stream.name,
      subject: this.#names.eventsSubject(queue),
      restore: async () => {
        this.#streams.forget(this.#stream.name); // the stream it ensured is gone
        await this.#streams.ensure(this.#stream);
      },
    };
  }

  /** Flushes what was emitted. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.flush().catch(() => {});
  }
}

function eventsStreamSpec(config: NaqConfig): StreamSpec {
  const names = wireNames(config.prefix);
  return {
    name: names.eventsStream,
    subjects: [names.eventsSubjects],
    retention: "limits",
    maxAgeMs: config.events.maxAge,
    maxBytes: config.events.maxBytes,
    replicas: config.events.replicas ?? config.streams.replicas,
  };
}

async function* matching(
  subscription: CoreSubscription & AsyncIterable<CoreMessage>,
  filter: EventFilter,
): AsyncGenerator<JobEvent> {
  try {
    for await (const message of subscription) {
      for (const event of unpack(message.data)) if (matches(event, filter)) yield event;
    }
  } finally {
    subscription.unsubscribe();
  }
}
