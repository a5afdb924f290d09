/**
 * Gauges of each queue's jobs per state (and, where a source is given, of its workers),
 * read when scraped from the counts the server keeps (`JobService.stats()`: consumers, no
 * scan), and kept a few seconds so that scrapes close together ask the server once.
 *
 * @module
 */
import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../clock.ts";
import type { JobState } from "../core/job.ts";
import type { WorkerEntry } from "../core/worker_entry.ts";
import type { QueueStats } from "../services/business/jobs/read_jobs.ts";

/** The states a gauge shows: the jobs still to run or to look at, not the finished records. */
export const GAUGED_STATES: readonly JobState[] = [
  "waiting",
  "delayed",
  "active",
  "failed",
  "dead",
];

/** Where the gauges read from. */
export interface QueueGaugeSources {
  /** The queues to show. */
  queues(): Promise<readonly string[]>;
  /** A queue's jobs per state. */
  stats(queue: string): Promise<QueueStats>;
  /**
   * The live workers and schedulers, from the worker registry; without it there is no
   * `naq_workers` gauge.
   */
  workers?: () => Promise<readonly WorkerEntry[]>;
}

interface Reading {
  readonly stats: ReadonlyMap<string, QueueStats>;
  readonly workers?: ReadonlyMap<string, number>;
}

/** How long a reading serves scrapes, by default. */
export const GAUGE_CACHE_MS = 5_000;

/**
 * Registers `naq_queue_jobs{queue,state}` (and `naq_workers{queue}` with a workers source)
 * with `registry`. A reading that fails leaves the gauges out of that scrape (the counters
 * are still served): a stale count would look true.
 */
export function registerQueueGauges(
  registry: Registry,
  sources: QueueGaugeSources,
  clock: Clock,
  cacheMs = GAUGE_CACHE_MS,
): void {
  let cached: { at: number; reading: Promise<Reading> } | undefined;
  const read = (): Promise<Reading> => {
    const now = clock.now();
    if (!cached || now - cached.at >= cacheMs) {
      const reading = readAll(sources);
      cached = { at: now, reading };
      // a failed reading is not kept: the next scrape asks again
      reading.catch(() => cached?.reading === reading && (cached = undefined));
    }
    return cached.reading;
  };
  new Gauge({
    name: "naq_queue_jobs",
    help: "Jobs of the queue in each state: waiting, delayed, active (running), failed " +
      "(waiting for a retry), dead (dead-lettered)",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      const reading = await read().catch(() => undefined);
      for (const [queue, stats] of reading?.stats ?? []) {
        for (const state of GAUGED_STATES) this.set({ queue, state }, stats[state]);
      }
    },
  });
  if (!sources.workers) return;
  new Gauge({
    name: "naq_workers",
    help: "Live workers taking jobs from the queue",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const reading = await read().catch(() => undefined);
      for (const [queue, count] of reading?.workers ?? []) this.set({ queue }, count);
    },
  });
}

async function readAll(sources: QueueGaugeSources): Promise<Reading> {
  const queues = await sources.queues();
  const [stats, entries] = await Promise.all([
    Promise.all(queues.map(async (queue) => [queue, await sources.stats(queue)] as const)),
    sources.workers?.(),
  ]);
  return { stats: new Map(stats), workers: entries && workersPerQueue(queues, entries) };
}

/** How many of `entries` are workers taking jobs from each of `queues`, 0 included. */
export function workersPerQueue(
  queues: readonly string[],
  entries: readonly WorkerEntry[],
): ReadonlyMap<string, number> {
  const counts = new Map(queues.map((queue) => [queue, 0]));
  for (const entry of entries) {
    if (entry.kind !== "worker") continue;
    for (const queue of entry.queues) {
      if (counts.has(queue)) counts.set(queue, counts.get(queue)! + 1);
    }
  }
  return counts;
}
