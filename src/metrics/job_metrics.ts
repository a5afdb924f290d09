/**
 * The counters and histograms of jobs, per queue and task, on a registry of naq's own (never
 * prom-client's global one, which the application may use for its own metrics).
 *
 * @module
 */
import { Counter, Histogram, type Registry } from "prom-client";

/** What became of a job, as its counter names it. */
export type JobOutcome = "completed" | "failed" | "retried" | "dead" | "cancelled";

/** Every outcome counted, each a counter `naq_jobs_<outcome>_total{queue,task}`. */
export const JOB_OUTCOMES: readonly JobOutcome[] = [
  "completed",
  "failed",
  "retried",
  "dead",
  "cancelled",
];

const HELP: Record<JobOutcome, string> = {
  completed: "Jobs completed",
  failed: "Attempts that failed (each failure of a job that is retried counts, and its last)",
  retried: "Retries scheduled after a failed attempt",
  dead: "Jobs dead-lettered: out of attempts, poison, or stalled too often",
  cancelled: "Jobs cancelled",
};

// jobs run from milliseconds to hours: the defaults of prom-client stop at 10 s
const SECONDS_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
  900,
  3600,
];

/** The job counters and histograms of one process. */
export class JobMetrics {
  readonly #counters: Record<JobOutcome, Counter<"queue" | "task">>;
  readonly #run: Histogram<"queue" | "task">;
  readonly #wait: Histogram<"queue" | "task">;

  /** Registers the metrics with `registry`. */
  constructor(registry: Registry) {
    const labelNames = ["queue", "task"] as const;
    const registers = [registry];
    this.#counters = Object.fromEntries(JOB_OUTCOMES.map((outcome) => [
      outcome,
      new Counter({
        name: `naq_jobs_${outcome}_total`,
        help: HELP[outcome],
        labelNames,
        registers,
      }),
    ])) as Record<JobOutcome, Counter<"queue" | "task">>;
    this.#run = new Histogram({
      name: "naq_job_run_seconds",
      help: "How long an attempt's handler ran, until its outcome was decided",
      labelNames,
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#wait = new Histogram({
      name: "naq_job_wait_seconds",
      help: "How long an attempt waited from when it came due (enqueued, or its delay over) " +
        "to when it started",
      labelNames,
      buckets: SECONDS_BUCKETS,
      registers,
    });
  }

  /** Counts one `outcome` of a job of `task` in `queue`. */
  count(outcome: JobOutcome, queue: string, task: string): void {
    this.#counters[outcome].inc({ queue, task });
  }

  /** Records an attempt that ran for `ms`. */
  observeRun(queue: string, task: string, ms: number): void {
    this.#run.observe({ queue, task }, Math.max(0, ms) / 1_000);
  }

  /** Records an attempt that waited `ms` before it started. */
  observeWait(queue: string, task: string, ms: number): void {
    this.#wait.observe({ queue, task }, Math.max(0, ms) / 1_000);
  }
}
