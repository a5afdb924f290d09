/**
 * What the producer-API tests share: a server, a manager on it, a queue, and workers that log
 * nothing but errors.
 *
 * @module
 */
import type { ConfigInput } from "../../src/config/mod.ts";
import type { JobEvent } from "../../src/core/job_event.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import type { Task } from "../../src/task.ts";
import { Worker, type WorkerLogger } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";

/** A worker logger that prints errors only. */
export const silent: WorkerLogger = { info() {}, warn() {}, error: console.error };

/** Retries after 20 ms without jitter, so failing jobs come back fast and predictably. */
export const FAST_RETRIES: ConfigInput = { queueDefaults: { backoff: { delay: 20, jitter: 0 } } };

/** A server, one manager on it and a queue named `jobs`; `await using` tears it all down. */
export interface Setup extends AsyncDisposable {
  readonly server: NatsServer;
  readonly services: ServiceManager;
  readonly queue: Queue;
  /** Starts a worker on the queue with `tasks`, sharing the manager; closed on dispose. */
  worker(tasks: readonly Task<never, unknown>[], concurrency?: number): Worker;
}

/** Starts a server and opens a manager and the queue `jobs` on it. */
export async function setup(
  options: { config?: ConfigInput; serverConfig?: string } = {},
): Promise<Setup> {
  const server = await startNatsServer({ extraConfig: options.serverConfig });
  const services = new ServiceManager(
    testConfig(server.url, { ...FAST_RETRIES, ...options.config }),
  );
  const queue = new Queue("jobs", { services });
  const workers: Worker[] = [];
  return {
    server,
    services,
    queue,
    worker(tasks, concurrency = 4) {
      const worker = new Worker("jobs", tasks, {
        services,
        concurrency,
        handleSignals: false,
        logger: silent,
        shutdownTimeout: 2_000,
      });
      workers.push(worker);
      void worker.run();
      return worker;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await Promise.allSettled(workers.map((worker) => worker.run()));
      await queue.close();
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

/** Collects events from `iterator` until `until` returns true for one, or `timeoutMs` passes. */
export async function collectEvents(
  iterator: AsyncIterableIterator<JobEvent>,
  until: (event: JobEvent) => boolean,
  timeoutMs = 10_000,
): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `timed out after ${timeoutMs} ms; events so far: ${
              events.map((event) => event.type).join(", ") || "none"
            }`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) return events;
      events.push(next.value);
      if (until(next.value)) return events;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}
