/**
 * A worker's metrics: it counts the outcomes of the jobs it runs itself (per-process
 * counters, as Prometheus expects: a query sums them over the workers), times their runs and
 * waits, and serves them at `/metrics` with gauges of its queues. Loaded only when a worker
 * is given `metrics`: without it, prom-client is never imported.
 *
 * @module
 */
import { Registry } from "prom-client";
import type { ServiceManager } from "../services/core/service_manager.ts";
import { JobService } from "../services/business/jobs/job_service.ts";
import { WorkerRegistry } from "../services/business/worker_registry.ts";
import { JobMetrics } from "./job_metrics.ts";
import { type MetricsListen, MetricsServer } from "./metrics_server.ts";
import { registerQueueGauges } from "./queue_gauges.ts";

/** A worker's job metrics, and the endpoint that serves them. */
export class WorkerMetrics implements AsyncDisposable {
  /** What the worker counts and times. */
  readonly jobs: JobMetrics;
  readonly #server: MetricsServer;

  private constructor(jobs: JobMetrics, server: MetricsServer) {
    this.jobs = jobs;
    this.#server = server;
  }

  /**
   * Serves the metrics of a worker of `queues` at `listen`, at once.
   *
   * @throws {RangeError} for a bad port
   * @throws {Error} when the address cannot be listened on
   */
  static start(
    services: ServiceManager,
    queues: readonly string[],
    listen: MetricsListen,
  ): WorkerMetrics {
    const registry = new Registry();
    const jobs = new JobMetrics(registry);
    registerQueueGauges(registry, {
      queues: () => Promise.resolve(queues),
      stats: async (queue) => await (await services.get(JobService)).stats(queue),
      workers: async () => await (await services.get(WorkerRegistry)).list(),
    }, services.clock);
    return new WorkerMetrics(jobs, MetricsServer.start(registry, listen));
  }

  /** The port `/metrics` is served on. */
  get port(): number {
    return this.#server.port;
  }

  /** The address `/metrics` is served on. */
  get hostname(): string {
    return this.#server.hostname;
  }

  /** Stops serving. */
  close(): Promise<void> {
    return this.#server.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
