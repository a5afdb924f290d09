/**
 * Where a worker writes: one line per job outcome, warnings, errors, and what handlers log.
 *
 * @module
 */
import type { TaskLogger } from "../task.ts";

/** Where a worker writes one line per job outcome, and its warnings. */
export type WorkerLogger = TaskLogger;

/** Logs to the console: job outcomes to stdout, warnings and errors to stderr. */
export const consoleLogger: WorkerLogger = {
  info: (message, data) => console.log(data ? `${message} ${JSON.stringify(data)}` : message),
  warn: (message, data) => console.warn(data ? `${message} ${JSON.stringify(data)}` : message),
  error: (message, data) => console.error(data ? `${message} ${JSON.stringify(data)}` : message),
};

/** A logger that adds `tags` (queue, job id, task, attempt) to every line. */
export function taggedLogger(log: WorkerLogger, tags: Record<string, unknown>): TaskLogger {
  return {
    info: (message, data) => log.info(message, { ...tags, ...data }),
    warn: (message, data) => log.warn(message, { ...tags, ...data }),
    error: (message, data) => log.error(message, { ...tags, ...data }),
  };
}
