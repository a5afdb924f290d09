/**
 * Reading events back from the events stream: a bounded read of what it holds, and a replay
 * that goes on live. Both unpack the stored batches (JSON arrays) and cut them by `at`.
 *
 * @module
 */
import type { JobEvent, JobEventType } from "../../core/job_event.ts";
import { ConfigError } from "../../errors.ts";
import type { StreamService } from "../core/stream_service.ts";

/** Which stored events to read: see {@linkcode EventService.history}. */
export interface HistoryFilter {
  /** The queue whose events to read. */
  readonly queue: string;
  /** Only these types; all when omitted. */
  readonly types?: readonly JobEventType[];
  /** Only this job's events. */
  readonly jobId?: string;
  /**
   * Only events whose time `at` is this instant (ms since the epoch) or later; every event
   * the stream keeps when omitted.
   */
  readonly since?: number;
}

/** Where a queue's events are stored. */
export interface EventsSource {
  readonly streams: StreamService;
  /** The events stream's name. */
  readonly stream: string;
  /** The queue's subject in it. */
  readonly subject: string;
  /** Creates the stream again once it is found deleted, for a replay to go on. */
  readonly restore?: () => Promise<void>;
}

/**
 * How much later than its time `at` an event may reach the stream: its batch's few ms, the
 * publishes a client holds through a reconnect, and a producer's clock running ahead of the
 * server's. A read starts this long before `since` by the server's clock (the only time the
 * stream indexes), and cuts what it read by `at`.
 */
export const STORED_LATE_MS = 60_000;

/**
 * The error for reading stored events while events are disabled: none is stored.
 *
 * @returns a ConfigError saying so, and how to enable them
 */
export function eventHistoryDisabled(): ConfigError {
  return new ConfigError(
    "Cannot read the history of events: events are disabled (events.enabled: false), so " +
      "none is stored; set events.enabled: true to keep them (for events.maxAge, within " +
      "events.maxBytes), or follow live events without since",
  );
}

/**
 * The stored events that `keep` keeps, in the order stored, up to the last one stored when
 * called.
 *
 * @param startTime where to start reading, in ms since the epoch by the server's clock; from
 *   the first event the stream keeps when omitted
 * @param endTime where to stop reading, by the server's clock; at the last event stored when
 *   omitted
 */
export async function readEvents(
  source: EventsSource,
  startTime: number | undefined,
  keep: (event: JobEvent) => boolean,
  endTime?: number,
): Promise<JobEvent[]> {
  const { streams, stream, subject } = source;
  const last = await streams.lastStored(stream, subject);
  if (!last || (startTime !== undefined && last.storedAt < startTime)) return [];
  const events: JobEvent[] = [];
  for await (const message of streams.replay(stream, { subject, startTime, upToSeq: last.seq })) {
    if (endTime !== undefined && message.storedAt > endTime) break;
    for (const event of unpack(message.data)) if (keep(event)) events.push(event);
  }
  return events;
}

/**
 * Yields the stored events whose `at` is `since` or later, then each event stored later,
 * those that match `filter`; all from one ordered consumer, so none is missed or doubled
 * between the two.
 */
export async function* replayEvents(
  source: EventsSource,
  filter: HistoryFilter & { readonly since: number; readonly signal?: AbortSignal },
): AsyncGenerator<JobEvent> {
  const { streams, stream, subject, restore } = source;
  const { since } = filter;
  // what the stream holds as the replay starts is history, cut at `since`; what it stores
  // later is live, never cut by its time (the clock of the process that sent it may lag)
  const seam = (await streams.lastStored(stream, subject))?.seq ?? 0;
  const stored = streams.replay(stream, {
    subject,
    startTime: since - STORED_LATE_MS,
    signal: filter.signal,
    restore,
  });
  for await (const message of stored) {
    for (const event of unpack(message.data)) {
      // a stream created again after the replay started holds only live events
      if (message.recreated === 0 && message.seq <= seam && event.at < since) continue;
      if (matches(event, filter)) yield event;
    }
  }
}

const decoder = new TextDecoder();

/** The events of one message: a batch, a JSON array; none from a message naq did not write. */
export function unpack(data: Uint8Array): JobEvent[] {
  let events: unknown;
  try {
    events = JSON.parse(decoder.decode(data));
  } catch {
    return []; // not events naq wrote: not the listener's problem
  }
  return Array.isArray(events) ? events as JobEvent[] : [];
}

/** True when `event` is of the filter's types and job. */
export function matches(
  event: JobEvent,
  filter: Pick<HistoryFilter, "types" | "jobId">,
): boolean {
  return (!filter.types || filter.types.includes(event.type)) &&
    (!filter.jobId || event.jobId === filter.jobId);
}
