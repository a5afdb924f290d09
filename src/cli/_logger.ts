/**
 * Logging of long-running commands (`worker`, `scheduler`, `dev`) as JSON lines, for `--json`.
 *
 * @module
 */
import type { WorkerLogger } from "../worker.ts";

/** One JSON object per line: info on stdout, warnings and errors on stderr. */
export const jsonLogger: WorkerLogger = {
  info: (message, data) => console.log(jsonLine("info", message, data)),
  warn: (message, data) => console.error(jsonLine("warn", message, data)),
  error: (message, data) => console.error(jsonLine("error", message, data)),
};

function jsonLine(level: string, message: string, data?: Record<string, unknown>): string {
  return JSON.stringify({ at: new Date().toISOString(), level, message, ...data });
}
