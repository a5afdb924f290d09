/**
 * Jobs completed and attempts failed per minute, per queue, over the last hour: counted from
 * the events the dashboard receives, so they start when it starts.
 *
 * @module
 */
import type { JobEvent } from "../core/job_event.ts";

/** How many minutes the charts span. */
export const ACTIVITY_MINUTES = 60;

/** A minute, in ms: the charts' step. */
export const MINUTE_MS = 60_000;

/** One queue's counts per minute, oldest minute first. */
export interface ActivitySeries {
  /** The start of the first minute, in ms since the epoch. */
  readonly start: number;
  /** Jobs completed in each minute. */
  readonly completed: readonly number[];
  /** Attempts failed in each minute (retried or dead after). */
  readonly failed: readonly number[];
}

/** Counts per queue and minute, kept for an hour. */
export class Activity {
  /** Per queue, per minute (ms since the epoch / 60,000), the counts. */
  readonly #minutes = new Map<string, Map<number, { completed: number; failed: number }>>();

  /** Counts `event` in the minute it happened in; other types than these two count nothing. */
  record(event: JobEvent): void {
    if (event.type !== "completed" && event.type !== "failed") return;
    let queue = this.#minutes.get(event.queue);
    if (!queue) this.#minutes.set(event.queue, queue = new Map());
    const minute = Math.floor(event.at / MINUTE_MS);
    let counts = queue.get(minute);
    if (!counts) {
      queue.set(minute, counts = { completed: 0, failed: 0 });
      // a new minute: forget those out of every chart
      for (const old of queue.keys()) if (old <= minute - ACTIVITY_MINUTES) queue.delete(old);
    }
    counts[event.type] += 1;
  }

  /** Forgets the queue's counts: they are about to be counted again, from a replay. */
  forget(queue: string): void {
    this.#minutes.delete(queue);
  }

  /** The queue's last {@linkcode ACTIVITY_MINUTES} minutes up to `now`, the current one last. */
  series(queue: string, now: number): ActivitySeries {
    const last = Math.floor(now / MINUTE_MS);
    const first = last - ACTIVITY_MINUTES + 1;
    const minutes = this.#minutes.get(queue);
    const completed: number[] = [];
    const failed: number[] = [];
    for (let minute = first; minute <= last; minute++) {
      const counts = minutes?.get(minute);
      completed.push(counts?.completed ?? 0);
      failed.push(counts?.failed ?? 0);
    }
    return { start: first * MINUTE_MS, completed, failed };
  }
}

/** Failed attempts over all attempts that ended, per minute; `null` for a minute with none. */
export function failureRates(series: ActivitySeries): (number | null)[] {
  return series.completed.map((completed, i) => {
    const ended = completed + series.failed[i];
    return ended === 0 ? null : series.failed[i] / ended;
  });
}
