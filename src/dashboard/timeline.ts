/**
 * A job's timeline: what its record says happened (enqueued, each failed attempt, started,
 * finished), with its events that the events stream holds.
 *
 * @module
 */
import type { JobRecord } from "../core/job.ts";
import type { JobEvent, JobEventType } from "../core/job_event.ts";

/** One step of a job's life. */
export interface TimelineEntry {
  /** When, ms since the epoch. */
  readonly at: number;
  /** What happened. */
  readonly type: JobEventType | "due";
  /** The attempt it concerns, from 1; 0 before the first. */
  readonly attempt: number;
  /** More about it: the error, the worker, the progress or result, as text. */
  readonly detail?: string;
  /** Whether it was stored as an event, or read off the record. */
  readonly source: "event" | "record";
}

/**
 * The job's steps, oldest first. A step of the record that an event also tells (same type
 * and attempt) is shown once, as the event.
 */
export function jobTimeline(job: JobRecord, events: readonly JobEvent[]): TimelineEntry[] {
  const heard = events.map((event): TimelineEntry => ({
    at: event.at,
    type: event.type,
    attempt: event.attempt,
    detail: event.data === undefined ? undefined : describe(event.data),
    source: "event",
  }));
  const told = new Set(heard.map((entry) => `${entry.type}/${entry.attempt}`));
  const read: TimelineEntry[] = [
    { at: job.enqueuedAt, type: "enqueued", attempt: 0, source: "record" },
    ...job.errors.map((error): TimelineEntry => ({
      at: error.at,
      type: "failed",
      attempt: error.attempt,
      detail: `${error.name}: ${error.message} (on ${error.worker})`,
      source: "record",
    })),
  ];
  if (job.startedAt !== undefined) {
    read.push({
      at: job.startedAt,
      type: "active",
      attempt: job.attempt,
      detail: job.worker && `on ${job.worker}`,
      source: "record",
    });
  }
  if (job.state === "delayed" || job.state === "failed") {
    const at = job.state === "delayed" ? job.runAt : job.retryAt;
    read.push({ at, type: "due", attempt: job.attempt, source: "record" });
  }
  if (job.state === "completed" || job.state === "dead" || job.state === "cancelled") {
    read.push({
      at: job.finishedAt,
      type: job.state,
      attempt: job.attempt,
      detail: job.state === "dead" ? job.deadReason : undefined,
      source: "record",
    });
  }
  return [...read.filter((entry) => !told.has(`${entry.type}/${entry.attempt}`)), ...heard]
    .sort((a, b) => a.at - b.at);
}

function describe(data: unknown): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
