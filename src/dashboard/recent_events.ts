/**
 * The latest events of the jobs the dashboard heard about, for their timelines, in bounded
 * memory: the oldest jobs are forgotten first.
 *
 * @module
 */
import type { JobEvent } from "../core/job_event.ts";

/** Jobs whose events are kept. */
const MAX_JOBS = 10_000;
/** Events kept per job: the latest. */
const MAX_EVENTS_PER_JOB = 100;

/** Events per job, the latest jobs kept. */
export class RecentEvents {
  readonly #byJob = new Map<string, JobEvent[]>();

  /** Keeps `event` under its job. */
  record(event: JobEvent): void {
    const key = `${event.queue}\u0000${event.jobId}`;
    let events = this.#byJob.get(key);
    if (events) {
      // most recently heard of last, so the first key is the one to forget
      this.#byJob.delete(key);
    } else {
      events = [];
      if (this.#byJob.size >= MAX_JOBS) this.#byJob.delete(this.#byJob.keys().next().value!);
    }
    this.#byJob.set(key, events);
    events.push(event);
    if (events.length > MAX_EVENTS_PER_JOB) events.shift();
  }

  /** The job's events heard so far, oldest first. */
  of(queue: string, jobId: string): readonly JobEvent[] {
    return this.#byJob.get(`${queue}\u0000${jobId}`) ?? [];
  }
}
