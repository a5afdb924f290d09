/**
 * The standalone exporter behind `naq metrics`: gauges of every queue (or the ones named),
 * and counters of job outcomes counted from the live event stream of the queues it watches,
 * from the moment it started watching them.
 *
 * @module
 */
import { Registry } from "prom-client";
import type { JobEventType } from "../core/job_event.ts";
import { EventService } from "../services/business/event_service.ts";
import { JobService } from "../services/business/jobs/job_service.ts";
import { WorkerRegistry } from "../services/business/worker_registry.ts";
import type { ServiceManager } from "../services/core/service_manager.ts";
import { JobMetrics, type JobOutcome } from "./job_metrics.ts";
import { type MetricsListen, MetricsServer } from "./metrics_server.ts";
import { registerQueueGauges } from "./queue_gauges.ts";

/** Where and what the exporter serves. */
export interface MetricsExporterOptions extends MetricsListen {
  /** The queues to show; every queue of the prefix (found again at each scrape) when omitted. */
  readonly queues?: readonly string[];
}

/** The counter each event counts in. */
const COUNTED: Partial<Record<JobEventType, JobOutcome>> = {
  completed: "completed",
  failed: "failed",
  retrying: "retried",
  dead: "dead",
  cancelled: "cancelled",
};

/** Serves the metrics of a deployment's queues at `/metrics`, without running any job. */
export class MetricsExporter implements AsyncDisposable {
  #server!: MetricsServer;
  readonly #watching = new Set<string>();
  readonly #stop = new AbortController();
  readonly #events: EventService;
  readonly #jobs: JobMetrics;
  #closed?: Promise<void>;

  private constructor(events: EventService, jobs: JobMetrics) {
    this.#events = events;
    this.#jobs = jobs;
  }

  /**
   * Starts watching the queues and serving, at once.
   *
   * @throws {RangeError} for a bad port or hostname
   * @throws {Error} when the address cannot be listened on
   */
  static async start(
    services: ServiceManager,
    options: MetricsExporterOptions,
  ): Promise<MetricsExporter> {
    const [jobService, events, workers] = await Promise.all([
      services.get(JobService),
      services.get(EventService),
      services.get(WorkerRegistry),
    ]);
    const metrics = new Registry();
    const exporter = new MetricsExporter(events, new JobMetrics(metrics));
    const given = options.queues && options.queues.length > 0 ? options.queues : undefined;
    const queues = async () => {
      const found = given ?? await jobService.queues();
      for (const queue of found) exporter.#watch(queue);
      return found;
    };
    registerQueueGauges(
      metrics,
      { queues, stats: (queue) => jobService.stats(queue), workers: () => workers.list() },
      services.clock,
    );
    await queues();
    // a round trip: the server has the subscriptions before anyone can scrape
    await events.flush();
    exporter.#server = MetricsServer.start(metrics, options);
    return exporter;
  }

  /** The port `/metrics` is served on. */
  get port(): number {
    return this.#server.port;
  }

  /** The address it listens on. */
  get hostname(): string {
    return this.#server.hostname;
  }

  /** The queues whose events it counts. */
  get watching(): readonly string[] {
    return [...this.#watching];
  }

  /** Stops counting and serving. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stop.abort();
      await this.#server?.close();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counts the queue's events from now on; once per queue. */
  #watch(queue: string): void {
    if (this.#watching.has(queue) || this.#stop.signal.aborted) return;
    this.#watching.add(queue);
    const events = this.#events.subscribe({
      queue,
      types: Object.keys(COUNTED) as JobEventType[],
      signal: this.#stop.signal,
    });
    void (async () => {
      for await (const event of events) {
        this.#jobs.count(COUNTED[event.type]!, event.queue, event.task);
      }
    })().catch(() => {
      // the connection closed: nothing more to count
    });
  }
}
