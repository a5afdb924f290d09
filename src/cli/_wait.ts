/**
 * Waiting for a job's outcome and printing it, for `naq enqueue --wait` and `naq job result`.
 *
 * @module
 */
import type { Queue } from "../queue.ts";
import { printJson } from "./_output.ts";

/**
 * Waits for job `id` and prints its result: as indented JSON, or with `json` the finished job
 * record on one line.
 *
 * @throws {JobFailedError} when the job failed for good (exit code 1, with its last error)
 * @throws {TimeoutError} when `timeoutMs` passes first
 */
export async function printResult(
  queue: Queue,
  id: string,
  options: { readonly timeoutMs?: number; readonly json?: boolean },
): Promise<void> {
  const result = await queue.result(id, { timeout: options.timeoutMs });
  if (!options.json) {
    console.log(JSON.stringify(result ?? null, null, 2));
    return;
  }
  // the finished record (state, attempts, timestamps); the result alone if it expired since
  printJson(await queue.getJob(id) ?? { id, queue: queue.name, state: "completed", result });
}
