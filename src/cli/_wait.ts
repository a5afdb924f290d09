/**
 * Waiting for a job's outcome and printing it, for `naq enqueue --wait` and `naq job result`.
 *
 * @module
 */
import { formatDuration } from "../core/duration.ts";
import { TimeoutError } from "../errors.ts";
import type { Queue } from "../queue.ts";
import { printJson } from "./_output.ts";

/**
 * The wait gave up before the job finished: exit code 3 (`ExitCode.WaitTimedOut`), not 1, as
 * the job did not fail and goes on.
 */
export class WaitTimedOutError extends Error {
  /** Creates the error; `message` says which job and how to wait again. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WaitTimedOutError";
  }
}

/**
 * Waits for job `id` and prints its result: as indented JSON, or with `json` the finished job
 * record on one line.
 *
 * @throws {JobFailedError} when the job failed for good (exit code 1, with its last error)
 * @throws {WaitTimedOutError} when `timeoutMs` passes first (exit code 3)
 */
export async function printResult(
  queue: Queue,
  id: string,
  options: { readonly timeoutMs?: number; readonly json?: boolean },
): Promise<void> {
  let result: unknown;
  try {
    result = await queue.result(id, { timeout: options.timeoutMs });
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    const state = (await queue.getJob(id).catch(() => null))?.state ?? "unknown";
    const noWorker = await queue.hasWorkers().then((seen) => !seen, () => false)
      ? ` (no worker has taken jobs from queue ${queue.name} yet: naq worker ${queue.name} ` +
        `--tasks <module>)`
      : "";
    throw new WaitTimedOutError(
      `Gave up waiting for job ${id} in queue ${queue.name} after ` +
        `${
          formatDuration(options.timeoutMs ?? 0)
        }: it is ${state}${noWorker}, and goes on; wait again ` +
        `with naq job result ${id} --queue ${queue.name} [--timeout 5m]`,
      { cause: err },
    );
  }
  if (!options.json) {
    console.log(JSON.stringify(result ?? null, null, 2));
    return;
  }
  // the finished record (state, attempts, timestamps); the result alone if it expired since
  printJson(await queue.getJob(id) ?? { id, queue: queue.name, state: "completed", result });
}
