/**
 * Logging of long-running commands (`worker`, `scheduler`, `dev`) as JSON lines, for `--json`.
 *
 * @module
 */
import type { WorkerLogger } from "../worker.ts";
import { systemClock } from "../clock.ts";
import { JOB_FIELDS } from "../worker/logger.ts";

/**
 * One JSON record per line: `ts` (ISO 8601), `level`, `msg`, then the job's fields when the
 * line is about one (`queue`, `task`, `jobId`, `attempt`, `durationMs`, `error`) and any
 * other data. Info on stdout, warnings and errors on stderr.
 */
export const jsonLogger: WorkerLogger = {
  info: (message, data) => console.log(jsonLine("info", message, data)),
  warn: (message, data) => console.error(jsonLine("warn", message, data)),
  error: (message, data) => console.error(jsonLine("error", message, data)),
};

/** The record of one line, in a stable key order. */
export function jsonRecord(
  level: string,
  message: string,
  data: Record<string, unknown> | undefined,
  at: number,
): Record<string, unknown> {
  const record: Record<string, unknown> = { ts: new Date(at).toISOString(), level, msg: message };
  for (const field of JOB_FIELDS) if (data?.[field] !== undefined) record[field] = data[field];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!(key in record)) record[key] = value;
  }
  return record;
}

function jsonLine(level: string, message: string, data?: Record<string, unknown>): string {
  return JSON.stringify(jsonRecord(level, message, data, systemClock.now()));
}
