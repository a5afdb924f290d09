/**
 * What the worker registry holds of each running worker and scheduler replica, and the rules
 * over it: how long an entry outlives its last heartbeat, how a worker's state is told, how
 * listings are ordered.
 *
 * @module
 */

/** What registered itself: a worker, or a scheduler replica run on its own. */
export type WorkerKind = "worker" | "scheduler";

/**
 * What a worker does: `running` takes jobs; `paused` takes none, as every queue it serves is
 * paused; `draining` is stopping, and finishes the jobs it runs.
 */
export type WorkerState = "running" | "paused" | "draining";

/** A worker or scheduler replica as the registry shows it, as of its last heartbeat. */
export interface WorkerEntry {
  /** Its id, as job records and dead letters show it. */
  readonly id: string;
  /** A worker, or a scheduler replica run on its own. */
  readonly kind: "worker" | "scheduler";
  /**
   * The machine it runs on: its name where the process may read it (`--allow-sys=hostname`),
   * else its address as the NATS server sees it.
   */
  readonly host: string;
  /** Its process id on that machine. */
  readonly pid: number;
  /** The queues it takes jobs from; none for a scheduler. */
  readonly queues: readonly string[];
  /** The names of the tasks it runs; none for a scheduler. */
  readonly tasks: readonly string[];
  /** How many jobs it runs at once; 0 for a scheduler. */
  readonly concurrency: number;
  /** The jobs it was running at its last heartbeat, and since when (ms since the epoch). */
  readonly running: readonly {
    /** The job's id. */
    jobId: string;
    /** The job's queue. */
    queue: string;
    /** The job's task. */
    task: string;
    /** When this attempt started, in ms since the epoch. */
    since: number;
  }[];
  /** When it started, in ms since the epoch. */
  readonly startedAt: number;
  /** When it last wrote this entry, in ms since the epoch. */
  readonly heartbeatAt: number;
  /** The version of naq it runs. */
  readonly version: string;
  /** Whether it takes jobs: see {@linkcode WorkerState}. */
  readonly state: "running" | "paused" | "draining";
}

/** Every kind, in the order listings show them. */
export const WORKER_KINDS: readonly WorkerKind[] = ["worker", "scheduler"];

/** The least heartbeat: NATS counts an entry's time to live in whole seconds, at least 1. */
export const MIN_HEARTBEAT_MS = 1_000;

/**
 * How long an entry lives after it was written: two heartbeats, rounded down to the whole
 * seconds NATS counts per-message TTLs in. With a heartbeat of at least
 * {@linkcode MIN_HEARTBEAT_MS} that is more than one heartbeat, so a live worker's entry never
 * lapses between two writes, and at most two, so a killed one is gone within two heartbeats.
 *
 * @param heartbeatMs the time between two writes of the entry
 * @returns milliseconds, a whole number of seconds
 * @throws {RangeError} when the heartbeat is shorter than {@linkcode MIN_HEARTBEAT_MS}
 */
export function entryTtlMs(heartbeatMs: number): number {
  if (!(heartbeatMs >= MIN_HEARTBEAT_MS)) {
    throw new RangeError(
      `Cannot keep a registry entry alive with a heartbeat of ${heartbeatMs} ms: ` +
        `use at least ${MIN_HEARTBEAT_MS} ms, as NATS counts its time to live in whole seconds`,
    );
  }
  return Math.floor((2 * heartbeatMs) / 1_000) * 1_000;
}

/**
 * A worker's state: `draining` once it is stopping, `paused` while every queue it serves is
 * paused (one running queue keeps it taking jobs), `running` otherwise.
 *
 * @param stopping whether its close has begun
 * @param paused whether each of its queues is paused; empty before it has looked
 */
export function workerState(stopping: boolean, paused: readonly boolean[]): WorkerState {
  if (stopping) return "draining";
  return paused.length > 0 && paused.every(Boolean) ? "paused" : "running";
}

/** Orders entries for listing: workers, then schedulers; each oldest first, then by id. */
export function sortEntries(entries: readonly WorkerEntry[]): WorkerEntry[] {
  return [...entries].sort((a, b) =>
    WORKER_KINDS.indexOf(a.kind) - WORKER_KINDS.indexOf(b.kind) ||
    a.startedAt - b.startedAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * True when `value` has an entry's shape, for values read back from the bucket: one written
 * by another program, or by a naq whose entries differ, is left out of listings.
 */
export function isWorkerEntry(value: unknown): value is WorkerEntry {
  const entry = value as Partial<WorkerEntry> | null;
  return typeof entry === "object" && entry !== null && typeof entry.id === "string" &&
    WORKER_KINDS.includes(entry.kind as WorkerKind) && Array.isArray(entry.queues) &&
    Array.isArray(entry.running) && typeof entry.startedAt === "number" &&
    typeof entry.heartbeatAt === "number";
}
