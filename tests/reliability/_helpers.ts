/**
 * Shared pieces of the reliability tests: a silent worker logger and waiting on queue stats.
 *
 * @module
 */
import type { QueueStats } from "../../src/services/job_service.ts";
import type { Queue } from "../../src/queue.ts";
import type { WorkerLogger } from "../../src/worker.ts";

/** Keeps job outcome lines out of the test output; errors still show. */
export const silentLogger: WorkerLogger = { info() {}, warn() {}, error: console.error };

/**
 * Polls `queue.stats()` until `done` says so, or fails after `timeoutMs` with the last counts.
 * A failing `stats()` (a cluster electing a leader) is retried until the deadline.
 *
 * @returns the counts that satisfied `done`
 */
export async function waitForStats(
  queue: Queue,
  what: string,
  done: (stats: QueueStats) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<QueueStats> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let last: string;
    try {
      const stats = await queue.stats();
      if (done(stats)) return stats;
      last = `stats: ${JSON.stringify(stats)}`;
    } catch (err) {
      last = `stats() failed: ${err}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
