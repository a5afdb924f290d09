/**
 * The scheduler: fires cron and interval schedules; run as many replicas as you like, exactly
 * one leads. Delayed jobs and retries need no scheduler: the server fires them.
 *
 * @module
 */
import type { ServicesOption } from "./queue.ts";
import {
  type SchedulerReplica,
  SchedulerService,
  type SchedulerStatus,
} from "./services/business/scheduler_service.ts";
import { ServiceManager } from "./services/core/service_manager.ts";
import { ConnectionError, NaqError } from "./errors.ts";
import { onStopSignals } from "./stop_signals.ts";
import { ConnectionService } from "./services/core/connection_service.ts";
import { consoleLogger, type WorkerLogger } from "./worker/logger.ts";
import { Registration } from "./services/business/worker_registration.ts";

export type { SchedulerStatus };

// a replica that cannot start (the server unreachable, a stream electing a leader) tries again
const START_RETRY_MS = 1_000;

/**
 * Runs a scheduler replica on `services` until `signal` aborts. A start that fails for a
 * reason other than naq's own errors and bad arguments is retried, as JetStream can be
 * briefly unable to answer.
 *
 * @internal shared by {@linkcode Scheduler} and the scheduler a Worker runs
 */
export async function runReplica(
  services: ServiceManager,
  id: string,
  log: WorkerLogger,
  signal: AbortSignal,
  onStart: (replica: SchedulerReplica) => void = () => {},
): Promise<void> {
  while (!signal.aborted) {
    let replica: SchedulerReplica;
    try {
      replica = (await services.get(SchedulerService)).replica(id, log);
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof NaqError || err instanceof TypeError) throw err;
      if (await ConnectionService.closedFor(services)) {
        throw ConnectionError.closedForGood([...services.config.nats.servers], `Scheduler ${id}`);
      }
      log.warn(`naq scheduler ${id}: cannot start yet, retrying`, { error: String(err) });
      await services.clock.sleep(START_RETRY_MS, signal).catch(() => {});
      continue;
    }
    onStart(replica);
    return await replica.run(signal);
  }
}

/** How a scheduler runs. */
export interface SchedulerOptions {
  /** This replica's name in the lease; generated when omitted. */
  readonly id?: string;
  /** Close on SIGINT and SIGTERM while running. Default true. */
  readonly handleSignals?: boolean;
  /** Where to log leadership changes and failed firings; the console by default. */
  readonly logger?: WorkerLogger;
}

/**
 * A scheduler replica. Replicas elect a leader through a lease in KV (`scheduler.lease`);
 * the leader fires schedules, and when it stops or dies
 * another takes over within about a lease. A firing is enqueued once even across a failover.
 *
 * @example Run a scheduler until Ctrl-C
 * ```ts
 * import { createConfig, Scheduler } from "@naq/naq";
 *
 * await using scheduler = new Scheduler({ config: createConfig() });
 * await scheduler.run();
 * ```
 */
export class Scheduler implements AsyncDisposable {
  /** This replica's name, as the lease shows it. */
  readonly id: string;
  readonly #services: ServiceManager;
  readonly #ownsServices: boolean;
  readonly #handleSignals: boolean;
  readonly #log: WorkerLogger;
  readonly #stopping = new AbortController();
  #replica?: SchedulerReplica;
  /** This replica's entry in the worker registry, kept while it runs. */
  #registration?: Registration;
  #run?: Promise<void>;
  #closed?: Promise<void>;

  /**
   * Creates a replica; it does nothing until {@linkcode run}.
   *
   * @param options `{ services }` or `{ config }`, and how to run
   */
  constructor(options: ServicesOption & SchedulerOptions) {
    this.#ownsServices = !("services" in options);
    this.#services = "services" in options ? options.services : new ServiceManager(options.config);
    this.#handleSignals = options.handleSignals ?? true;
    this.#log = options.logger ?? consoleLogger;
    this.id = options.id ?? `scheduler-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** Whether this replica leads, and how many schedules it is tracking. */
  get status(): SchedulerStatus {
    return this.#replica?.status ?? { leading: false, schedules: 0 };
  }

  /**
   * Competes for leadership, and while leading fires what comes due, until {@linkcode close}
   * (or SIGINT/SIGTERM). Calling it again returns the same promise.
   */
  run(): Promise<void> {
    this.#run ??= this.#runReplica();
    return this.#run;
  }

  /** Stops: hands the lease over at once when leading, then closes. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stopping.abort();
      void this.#registration?.refresh(); // draining
      await this.#run?.catch(() => {});
      if (this.#ownsServices) await this.#services.close();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #runReplica(): Promise<void> {
    const stopping = this.#stopping.signal;
    const registration = new Registration(
      this.#services,
      { id: this.id, kind: "scheduler", queues: [], tasks: [], concurrency: 0 },
      () => ({ running: [], state: stopping.aborted ? "draining" : "running" }),
      this.#log,
    );
    this.#registration = registration;
    try {
      await onStopSignals(
        this.#handleSignals,
        () => void this.close(),
        () =>
          runReplica(this.#services, this.id, this.#log, stopping, (replica) => {
            this.#replica = replica;
          }),
      );
    } finally {
      await registration.close();
    }
  }
}
