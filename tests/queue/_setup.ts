/**
 * What the producer-API tests share: a server, a manager on it, a queue, and workers that log
 * nothing but errors.
 *
 * @module
 */
import type { ConfigInput } from "../../src/config/mod.ts";
import type { JobEvent } from "../../src/core/job_event.ts";
import { wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import type { Task } from "../../src/task.ts";
import { Worker, type WorkerLogger } from "../../src/worker.ts";
import { settleAdvancing, testConfig, within } from "../helpers/config.ts";
import type { ManualClock } from "../helpers/manual_clock.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";

/** A worker logger that prints errors only. */
export const silent: WorkerLogger = { info() {}, warn() {}, error: console.error };

/** Retries after 20 ms without jitter, so failing jobs come back fast and predictably. */
export const FAST_RETRIES: ConfigInput = { queueDefaults: { backoff: { delay: 20, jitter: 0 } } };

// how long a worker of `setup()` lets running jobs finish when closed
const SHUTDOWN_MS = 2_000;

/** A server, one manager on it and a queue named `jobs`; `await using` tears it all down. */
export interface Setup extends AsyncDisposable {
  readonly server: NatsServer;
  readonly services: ServiceManager;
  readonly queue: Queue;
  /** Starts a worker on the queue with `tasks`, sharing the manager; closed on dispose. */
  worker(tasks: readonly Task<never, unknown>[], concurrency?: number): Worker;
}

/**
 * Starts a server and opens a manager and the queue `jobs` on it.
 *
 * @param options `clock`: the manager's time, driven by the test; the system clock by default
 */
export async function setup(
  options: { config?: ConfigInput; serverConfig?: string; clock?: ManualClock } = {},
): Promise<Setup> {
  const { clock } = options;
  const server = await startNatsServer({ extraConfig: options.serverConfig });
  const services = new ServiceManager(
    testConfig(server.url, { ...FAST_RETRIES, ...options.config }),
    { clock },
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
        shutdownTimeout: SHUTDOWN_MS,
      });
      workers.push(worker);
      void worker.run();
      return worker;
    },
    async [Symbol.asyncDispose]() {
      const closing = Promise.allSettled(workers.map((worker) => worker.close()));
      if (clock) await settleAdvancing("the workers to close", closing, clock, SHUTDOWN_MS);
      else await closing;
      await Promise.allSettled(workers.map((worker) => worker.run()));
      await queue.close();
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

/**
 * Collects events from `iterator` until `until` returns true for one; fails when `timeoutMs`
 * passes first, a bound on a test that has failed already.
 */
export async function collectEvents(
  iterator: AsyncIterableIterator<JobEvent>,
  until: (event: JobEvent) => boolean,
  timeoutMs = 30_000,
): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  const collecting = (async () => {
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      events.push(next.value);
      if (until(next.value)) return;
    }
  })();
  try {
    await within("the events", collecting, timeoutMs);
  } catch (err) {
    void iterator.return?.(); // not awaited: it would wait for the next() still pending
    const seen = events.map((event) => event.type).join(", ") || "none";
    throw new Error(`${err instanceof Error ? err.message : err}; events so far: ${seen}`, {
      cause: err,
    });
  }
  await iterator.return?.();
  return events;
}

/** A queue's shared consumer as the server reports it. */
export interface ConsumerState {
  /** Pull requests waiting for messages: a worker asking for jobs. */
  readonly num_waiting: number;
  /** Messages not delivered yet. */
  readonly num_pending: number;
  /** Messages delivered and not acknowledged yet. */
  readonly num_ack_pending: number;
  /** Messages delivered more than once. */
  readonly num_redelivered: number;
  /** The last delivery: its consumer sequence counts deliveries, redeliveries included. */
  readonly delivered: { readonly consumer_seq: number; readonly stream_seq: number };
}

/**
 * The queue's consumer as the server sees it, from the monitoring endpoint, which costs the
 * client no message; `undefined` while no worker has created it.
 */
export async function consumerState(
  server: NatsServer,
  queue = "jobs",
  prefix = "naq",
): Promise<ConsumerState | undefined> {
  const names = wireNames(prefix);
  const jsz = await server.monitor<{
    account_details?: {
      stream_detail?: { name: string; consumer_detail?: (ConsumerState & { name: string })[] }[];
    }[];
  }>("jsz?consumers=true");
  const streams = jsz.account_details?.flatMap((account) => account.stream_detail ?? []) ?? [];
  return streams.find((stream) => stream.name === names.queueStream(queue))?.consumer_detail
    ?.find((consumer) => consumer.name === names.queueConsumer(queue));
}

/** The subjects subscribed to on the server, over every connection, from `/connz`. */
export async function subscriptions(server: NatsServer): Promise<string[]> {
  const connz = await server.monitor<{ connections: { subscriptions_list?: string[] }[] }>(
    "connz?subs=1",
  );
  return connz.connections.flatMap((connection) => connection.subscriptions_list ?? []);
}

/**
 * How many of the queue's jobs have a `run` message, waiting or running, from the
 * monitoring endpoint: the rest of the stream holds final records and schedules.
 */
export async function runMessages(
  server: NatsServer,
  queue = "jobs",
  prefix = "naq",
): Promise<number> {
  const names = wireNames(prefix);
  const consumer = await consumerState(server, queue, prefix);
  if (consumer) return consumer.num_pending + consumer.num_ack_pending;
  const jsz = await server.monitor<{
    account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[];
  }>("jsz?streams=true");
  const stream = jsz.account_details?.flatMap((account) => account.stream_detail ?? [])
    .find((detail) => detail.name === names.queueStream(queue));
  return stream?.state.messages ?? 0;
}
