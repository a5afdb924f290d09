/**
 * Every name naq puts on the wire (streams, subjects, consumers, buckets, keys), derived from
 * the configured prefix, so two applications with different prefixes share a NATS account.
 *
 * @module
 */

const NAME = /^[A-Za-z0-9_-]+$/;

/** The names one naq deployment uses on the wire. */
export interface WireNames {
  /** The prefix every name starts with. */
  readonly prefix: string;
  /** The work-queue stream holding a queue's jobs. */
  queueStream(queue: string): string;
  /** The subject a queue's jobs are published on. */
  queueSubject(queue: string): string;
  /** The durable consumer that a queue's workers share. */
  queueConsumer(queue: string): string;
  /** The limits stream holding every event. */
  readonly eventsStream: string;
  /** The subjects the events stream captures. */
  readonly eventsSubjects: string;
  /** The subject an event of `type` (or `*` for any) about a job in `queue` is published on. */
  eventSubject(queue: string, type: string): string;
  /** The stream holding dead letters of every queue. */
  readonly deadStream: string;
  /** The subject a queue's dead letters are stored under. */
  deadSubject(queue: string): string;
  /** The limits stream holding delayed jobs until they are due, one subject per job. */
  readonly delayedStream: string;
  /** The subjects the delayed stream captures. */
  readonly delayedSubjects: string;
  /** The subject a delayed job of `queue` waits under. */
  delayedSubject(queue: string, jobId: string): string;
  /** The KV bucket holding job records and results. */
  readonly jobsBucket: string;
  /** A job's key in the jobs bucket. */
  jobKey(queue: string, jobId: string): string;
  /** The pattern matching every job key of a queue. */
  queueKeys(queue: string): string;
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
    queueSubject: (name) => `${prefix}.queue.${queue(name)}`,
    queueConsumer: (name) => `${prefix}_workers_${queue(name)}`,
    eventsStream: `${prefix}_events`,
    eventsSubjects: `${prefix}.events.>`,
    eventSubject: (name, type) => `${prefix}.events.${queue(name)}.${type}`,
    deadStream: `${prefix}_dead`,
    deadSubject: (name) => `${prefix}.dead.${queue(name)}`,
    delayedStream: `${prefix}_delayed`,
    delayedSubjects: `${prefix}.delayed.>`,
    delayedSubject: (name, jobId) => `${prefix}.delayed.${queue(name)}.${jobId}`,
    jobsBucket: `${prefix}_jobs`,
    jobKey: (name, jobId) => `${queue(name)}.${jobId}`,
    queueKeys: (name) => `${queue(name)}.>`,
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
