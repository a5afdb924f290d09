/**
 * Every name naq puts on the wire (streams, subjects, consumers, buckets, keys), derived from
 * the configured prefix, so two applications with different prefixes share a NATS account.
 *
 * @module
 */

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The kinds of message a job has in its queue's stream, each on a subject of its own, at most
 * one of each (the stream keeps one message per subject). The latest of them is the job's
 * state: `run` waits for a worker (or is running), `delayed` and `retry` are scheduled
 * messages the server turns into `run` when due, and the rest are final records.
 */
export type JobMessageKind = "run" | "delayed" | "retry" | "completed" | "dead" | "cancelled";

/** Every kind of job message. */
export const JOB_MESSAGE_KINDS: readonly JobMessageKind[] = [
  "run",
  "delayed",
  "retry",
  "completed",
  "dead",
  "cancelled",
];

/** The names one naq deployment uses on the wire. */
export interface WireNames {
  /** The prefix every name starts with. */
  readonly prefix: string;
  /** The work-queue stream holding a queue's jobs, one subject per job and kind of message. */
  queueStream(queue: string): string;
  /** The subjects the queue's stream captures. */
  queueSubjects(queue: string): string[];
  /** The subject of the job's message of `kind`. */
  jobSubject(queue: string, jobId: string, kind: JobMessageKind): string;
  /** The pattern matching every message of one job (not its progress). */
  jobSubjects(queue: string, jobId: string): string;
  /** The pattern matching the queue's messages of `kind`; `run` is what workers consume. */
  kindSubjects(queue: string, kind: JobMessageKind): string;
  /** The core subject on which the worker running a job says how it goes; `*` for any. */
  runningSubject(queue: string, jobId: string): string;
  /** The durable consumer that a queue's workers share. */
  queueConsumer(queue: string): string;
  /** The durable consumer, never pulled, that counts a queue's messages of `kind`. */
  countConsumer(kind: JobMessageKind): string;
  /** The core subject a job's finished record is sent to, for the producer that waits on it. */
  notifySubject(owner: string): string;
  /** The core subject that tells workers a job was cancelled; `*` for any job of the queue. */
  cancelSubject(queue: string, jobId: string): string;
  /** The limits stream holding every event. */
  readonly eventsStream: string;
  /** The subjects the events stream captures. */
  readonly eventsSubjects: string;
  /** The subject a queue's events are published on, in batches. */
  eventsSubject(queue: string): string;
  /** The stream holding dead letters of every queue. */
  readonly deadStream: string;
  /** The subject a queue's dead letters are stored under. */
  deadSubject(queue: string): string;
  /** The KV bucket holding each queue's switches, such as paused. */
  readonly queuesBucket: string;
  /** A queue's key in the queues bucket. */
  queueKey(queue: string): string;
  /** The KV bucket holding schedules. */
  readonly schedulesBucket: string;
  /** A schedule's key in the schedules bucket. */
  scheduleKey(queue: string, scheduleId: string): string;
  /** The KV bucket holding the scheduler's leader lease. */
  readonly schedulerBucket: string;
}

/**
 * Derives the wire names for `prefix`.
 *
 * @param prefix letters, digits, `_` and `-` only, as stream names allow
 * @returns the names
 * @throws {TypeError} when the prefix, or a queue name given later, has other characters
 */
export function wireNames(prefix: string): WireNames {
  checkName("prefix", prefix);
  const queue = (name: string) => checkName("queue name", name);
  return {
    prefix,
    queueStream: (name) => `${prefix}_queue_${queue(name)}`,
    queueSubjects: (name) => [`${prefix}.queue.${queue(name)}.>`],
    jobSubject: (name, jobId, kind) => `${prefix}.queue.${queue(name)}.${jobId}.${kind}`,
    jobSubjects: (name, jobId) => `${prefix}.queue.${queue(name)}.${jobId}.>`,
    kindSubjects: (name, kind) => `${prefix}.queue.${queue(name)}.*.${kind}`,
    runningSubject: (name, jobId) => `${prefix}.running.${queue(name)}.${jobId}`,
    queueConsumer: (name) => `${prefix}_workers_${queue(name)}`,
    countConsumer: (kind) => `${prefix}_count_${kind}`,
    notifySubject: (owner) => `${prefix}.notify.${owner}`,
    cancelSubject: (name, jobId) => `${prefix}.cancel.${queue(name)}.${jobId}`,
    eventsStream: `${prefix}_events`,
    eventsSubjects: `${prefix}.events.>`,
    eventsSubject: (name) => `${prefix}.events.${queue(name)}`,
    deadStream: `${prefix}_dead`,
    deadSubject: (name) => `${prefix}.dead.${queue(name)}`,
    queuesBucket: `${prefix}_queues`,
    queueKey: (name) => queue(name),
    schedulesBucket: `${prefix}_schedules`,
    scheduleKey: (name, scheduleId) => `${queue(name)}.${scheduleId}`,
    schedulerBucket: `${prefix}_scheduler`,
  };
}

function checkName(what: string, value: string): string {
  if (!NAME.test(value)) {
    throw new TypeError(
      `Cannot use ${JSON.stringify(value)} as a ${what}: ` +
        `use only letters, digits, "_" and "-", as NATS stream names require`,
    );
  }
  return value;
}
