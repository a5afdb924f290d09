/**
 * Where a worker writes: one line per job outcome, warnings, errors, and what handlers log.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import type { TaskLogger } from "../task.ts";

/** Where a worker writes one line per job outcome, and its warnings. */
export type WorkerLogger = TaskLogger;

/**
 * The fields a worker's line about a job carries in its `data`, so that a structured logger
 * can record them: `queue`, `task`, `jobId`, `attempt`, and with outcomes `durationMs` and
 * `error` (the message of the attempt's error).
 */
export const JOB_FIELDS = ["queue", "task", "jobId", "attempt", "durationMs", "error"] as const;

/**
 * One plain line: the time, the level, `naq: <queue> <task> <jobId>` when `data` names a queue,
 * the message, then the rest of `data` as JSON (its `error` among it).
 *
 * @param at the line's time, in ms since the epoch
 */
export function formatPlainLine(
  level: "info" | "warn" | "error",
  message: string,
  data: Record<string, unknown> | undefined,
  at: number,
): string {
  const { queue, task, jobId, attempt: _attempt, durationMs: _durationMs, ...rest } = data ?? {};
  // a message that is not a job has a queue, and maybe a task, but no id: `-` stands for it
  const job = queue === undefined ? "" : `naq: ${queue} ${task ?? "-"} ${jobId ?? "-"} `;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
  return `${new Date(at).toISOString()} ${level.toUpperCase().padEnd(5)} ${job}${message}${extra}`;
}

/**
 * Logs plain, timestamped lines to the console (see {@linkcode formatPlainLine}): info to
 * stdout, warnings and errors to stderr.
 */
// lines say when they were written on the system clock, whatever clock drives the worker
export const consoleLogger: WorkerLogger = {
  info: (message, data) => console.log(formatPlainLine("info", message, data, systemClock.now())),
  warn: (message, data) => console.warn(formatPlainLine("warn", message, data, systemClock.now())),
  error: (message, data) =>
    console.error(formatPlainLine("error", message, data, systemClock.now())),
};

/** A logger that adds `tags` (queue, job id, task, attempt) to every line. */
export function taggedLogger(log: WorkerLogger, tags: Record<string, unknown>): TaskLogger {
  return {
    info: (message, data) => log.info(message, { ...tags, ...data }),
    warn: (message, data) => log.warn(message, { ...tags, ...data }),
    error: (message, data) => log.error(message, { ...tags, ...data }),
  };
}
