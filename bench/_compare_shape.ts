/**
 * The shape bench/report_compare.ts runs every system through, and what each run reports.
 * Shared by the report and the child process that runs one system (bench/_compare_run.ts).
 */

/** Jobs enqueued, then processed, in the bulk phases. */
export const JOBS = 20_000;
/** Jobs per enqueue call in the bulk phase. */
export const BATCH = 1_000;
/** Jobs one worker runs at once. */
export const CONCURRENCY = 64;
/** Single jobs enqueued and awaited one after another, for latency. */
export const SINGLES = 200;

/** The three systems, in the order they run. */
export const SYSTEMS = ["naq", "raw", "bullmq"] as const;
/** One of {@linkcode SYSTEMS}. */
export type SystemName = typeof SYSTEMS[number];

/** A no-op job's payload. */
export interface Payload {
  /** The job's index. */
  readonly i: number;
}

/**
 * One system's side of the bench: a producer and one worker, in one process. `J` is what
 * enqueueing a job gives back, to wait on its result with.
 */
export interface SystemUnderTest<J = unknown> {
  /** Connects the producer and creates what it needs (streams, queues); not timed. */
  prepare(): Promise<void>;
  /** Enqueues `payloads` as one batch, returning once every job is stored. */
  enqueueBatch(payloads: readonly Payload[]): Promise<J[]>;
  /** Starts one worker running no-op jobs, `concurrency` at once; timed with the processing. */
  startWorker(concurrency: number): Promise<void>;
  /** Waits, as the producer, for the job's result. */
  result(job: J): Promise<unknown>;
  /** Enqueues one job and waits for its result. */
  roundTrip(payload: Payload): Promise<unknown>;
  /** Stops the worker and closes every connection. */
  close(): Promise<void>;
}

/** Messages (or Redis commands) between client and server while one phase ran. */
export interface PhaseMessages {
  /** Client to server: nats-server's `in_msgs`, or the commands BullMQ's connections sent. */
  readonly in: number;
  /** Server to client: nats-server's `out_msgs`; undefined for Redis (one reply a command). */
  readonly out?: number;
}

/** What the child process running one system prints, as one JSON line. */
export interface SystemReport {
  /** The system. */
  readonly system: SystemName;
  /** Its version, such as `"bullmq 5.81.5"`. */
  readonly version: string;
  /** Time to enqueue {@linkcode JOBS} in batches of {@linkcode BATCH}. */
  readonly enqueueMs: number;
  /** Time from starting the worker until the producer had every result. */
  readonly processMs: number;
  /** Enqueue→result time of each single job, in order. */
  readonly latenciesMs: readonly number[];
  /** The messages of each phase; undefined where they cannot be counted. */
  readonly messages?: {
    readonly enqueue: PhaseMessages;
    readonly process: PhaseMessages;
    readonly singles: PhaseMessages;
  };
  /** Peak resident memory of the process (producer and worker), in bytes. */
  readonly peakRssBytes: number;
  /** Jobs whose result was an error, and the first few distinct messages. */
  readonly failures: { readonly count: number; readonly messages: readonly string[] };
  /** Warnings and errors the system logged while it ran. */
  readonly logged: readonly string[];
}
