/**
 * Events: one per job transition, published on the events stream.
 *
 * @module
 */

/** The kinds of event, one per transition. */
export type JobEventType =
  | "enqueued"
  | "active"
  | "progress"
  | "completed"
  | "failed"
  | "retrying"
  | "dead"
  | "cancelled";

/** Every event type. */
export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  "enqueued",
  "active",
  "progress",
  "completed",
  "failed",
  "retrying",
  "dead",
  "cancelled",
];

/** Something that happened to a job. */
export interface JobEvent {
  /** What happened. */
  readonly type: JobEventType;
  /** The job's queue. */
  readonly queue: string;
  /** The job's id. */
  readonly jobId: string;
  /** The job's task. */
  readonly task: string;
  /** When it happened, in ms since the epoch. */
  readonly at: number;
  /** The attempt it concerns, from 1; 0 before the first. */
  readonly attempt: number;
  /** For `progress`, the value; `completed`, the result; `failed`/`dead`, the error message; `retrying`, the delay in ms. */
  readonly data?: unknown;
}
