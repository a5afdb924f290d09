/**
 * Every name naq puts on the wire (streams, subjects, consumers, buckets, keys), derived from
 * the configured prefix, so two applications with different prefixes share a NATS account.
 *
 * Two different (prefix, queue) pairs never get the same name. A prefix has no `_`, so the
 * first `_` of a stream, consumer or bucket name ends its prefix, and what follows tells the
 * names of one prefix apart (`queue_<queue>`, `events`, …); a prefix is not `KV`, so that no
 * stream of naq's looks like the stream `KV_<bucket>` of a KV bucket. Subjects and keys join
 * their parts with `.`, which no part contains.
 *
 * @module
 */

/**
 * The longest stream or consumer name nats-server takes: `JSMaxNameLen`, which 2.15.1 enforces
 * with "stream name is too long, maximum allowed is 255".
 */
export const NATS_MAX_NAME_LENGTH = 255;

/** The longest prefix: short enough to leave queue names most of a NATS name. */
export const MAX_PREFIX_LENGTH = 32;

// the longest name a queue's name is part of is its consumer's, `<prefix>_workers_<queue>`;
// its stream `<prefix>_queue_<queue>` is shorter, and subjects and KV keys
// (`<prefix>.queue.<queue>.<job id>.<kind>`, a few hundred characters) are far below the
// server's 4,096-byte control line
const LONGEST_QUEUE_AFFIX = "_workers_".length;

/** The longest queue name: its consumer's name, with the longest prefix, fits NATS's limit. */
export const MAX_QUEUE_NAME_LENGTH = NATS_MAX_NAME_LENGTH - MAX_PREFIX_LENGTH -
  LONGEST_QUEUE_AFFIX;

const PREFIX = /^[A-Za-z0-9-]+$/;
const QUEUE_NAME = /^[A-Za-z0-9_-]+$/;

/** What a prefix may be, as error messages state it. */
export const PREFIX_RULE = `1 to ${MAX_PREFIX_LENGTH} letters, digits and "-" (no "_": it ends ` +
  `the prefix in stream names), other than "KV" (the start of NATS's KV bucket streams)`;

/** What a queue name may be, as error messages state it. */
export const QUEUE_NAME_RULE = `1 to ${MAX_QUEUE_NAME_LENGTH} letters, digits, "_" and "-" ` +
  `(so that its consumer's name fits NATS's limit of ${NATS_MAX_NAME_LENGTH} characters)`;

/** True when `prefix` can be naq's prefix: see {@linkcode PREFIX_RULE}. */
export function isPrefix(prefix: string): boolean {
  return typeof prefix === "string" && prefix.length <= MAX_PREFIX_LENGTH &&
    PREFIX.test(prefix) && prefix !== "KV";
}

/** True when `name` can be a queue's name: see {@linkcode QUEUE_NAME_RULE}. */
export function isQueueName(name: string): boolean {
  return typeof name === "string" && name.length <= MAX_QUEUE_NAME_LENGTH &&
    QUEUE_NAME.test(name);
}

/**
 * Checks a queue name given by a caller: by the Queue, the Worker, the CLI and the
 * configuration's `queues.<name>`, so every one refuses the same names with the same words.
 *
 * @returns the name
 * @throws {TypeError} saying what is wrong with it (empty, too long, a `.`, a space, a
 *   wildcard, …) and {@linkcode QUEUE_NAME_RULE}
 */
export function checkQueueName(name: string): string {
  if (!isQueueName(name)) {
    throw new TypeError(cannotUse(name, "a queue name", queueNameProblem(name)!));
  }
  return name;
}

/**
 * What is wrong with `name` as a queue name, and the rule; `undefined` when it is one.
 *
 * @returns such as `it contains "." (NATS subjects are split at it); use 1 to 214 letters…`
 */
export function queueNameProblem(name: unknown): string | undefined {
  if (isQueueName(name as string)) return undefined;
  return `${nameProblem(name, QUEUE_NAME_CHAR, MAX_QUEUE_NAME_LENGTH)}; use ${QUEUE_NAME_RULE}`;
}

const QUEUE_NAME_CHAR = /[A-Za-z0-9_-]/;

/**
 * Why `value` breaks the rule of a name made of 1 to `max` characters each matching
 * `allowed`, in words: for queue names and job ids alike.
 *
 * @param value the name as given
 * @param allowed matches one allowed character
 * @param max the longest name
 * @returns such as `it is empty`, `it has 300 characters, more than 214` or
 *   `it contains a space and "*" (a NATS wildcard)`
 */
export function nameProblem(value: unknown, allowed: RegExp, max: number): string {
  if (typeof value !== "string") return `it is ${value === null ? "null" : typeof value}, not text`;
  if (value === "") return "it is empty";
  const bad = [...new Set([...value].filter((char) => !allowed.test(char)))];
  if (bad.length > 0) {
    const shown = bad.slice(0, 4).map(describeChar);
    const more = bad.length > 4 ? ` and ${bad.length - 4} other characters` : "";
    return `it contains ${shown.join(", ")}${more}`;
  }
  return `it has ${value.length} characters, more than ${max}`;
}

function describeChar(char: string): string {
  switch (char) {
    case ".":
      return '"." (NATS subjects are split at it)';
    case " ":
      return "a space";
    case "*":
    case ">":
      return `"${char}" (a NATS wildcard)`;
    default:
      return JSON.stringify(char);
  }
}

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
  /** The pattern matching every message of one job. */
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
  /** The KV bucket where every running worker and scheduler replica keeps its entry. */
  readonly workersBucket: string;
  /** A worker's or scheduler replica's key in the workers bucket: `<kind>.<id>`. */
  workerKey(kind: "worker" | "scheduler", id: string): string;
}

/**
 * Derives the wire names for `prefix`.
 *
 * @param prefix as {@linkcode PREFIX_RULE} says
 * @returns the names
 * @throws {TypeError} when the prefix, or a queue name given later, breaks its rule
 */
export function wireNames(prefix: string): WireNames {
  if (!isPrefix(prefix)) throw new TypeError(cannotUse(prefix, "a prefix", `use ${PREFIX_RULE}`));
  const queue = checkQueueName;
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
    workersBucket: `${prefix}_workers`,
    workerKey: (kind, id) => `${kind}.${workerKeyToken(id)}`,
  };
}

const PLAIN_ID = /^[A-Za-z0-9_-]+$/;

/**
 * A worker's id as one token of a KV key. An id is whatever its owner named it, and a key
 * takes only some characters: any other id is written `=` and its UTF-8 in base64url, which
 * no plain id starts with, so two ids never share a key.
 */
function workerKeyToken(id: string): string {
  if (PLAIN_ID.test(id)) return id;
  const bytes = new TextEncoder().encode(id);
  const base64 = btoa(String.fromCharCode(...bytes));
  return `=${base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
}

function cannotUse(value: unknown, what: string, problem: string): string {
  // a name of thousands of characters is shown by its start and its length
  const shown = typeof value === "string" && value.length > 40
    ? `${JSON.stringify(value.slice(0, 40) + "…")} (${value.length} characters)`
    : JSON.stringify(value) ?? String(value);
  return `Cannot use ${shown} as ${what}: ${problem}`;
}
