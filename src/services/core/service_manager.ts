import { type Clock, systemClock } from "../../clock.ts";
import type { NaqConfig } from "../../config/mod.ts";
import { ErrorCode, NaqError } from "../../errors.ts";

/**
 * What {@linkcode ServiceManager.get} builds services from: in practice a service class with a
 * static `create`, which asks the manager for the services it depends on.
 *
 * @typeParam T the service
 */
export interface ServiceFactory<T extends object> {
  /** The service's name, for error messages. */
  readonly name: string;
  /** Builds the service; dependencies come from `services.get(...)`. */
  create(services: ServiceManager): Promise<T>;
}

/**
 * Owns one NATS connection and every service built on it.
 *
 * Services are created on first {@linkcode get}, once even under concurrent calls, and
 * disposed in reverse order of creation, so a service is always disposed before the services
 * it depends on. Disposal runs once; every service's dispose runs even when one throws, and
 * the first error is rethrown after all have run.
 *
 * @example Share one connection between a queue and a worker
 * ```ts
 * import { defineTask, loadConfig, Queue, ServiceManager, Worker } from "@naq/naq";
 *
 * const resize = defineTask("resize", (payload: { url: string }) => ({ ok: true }));
 * await using services = new ServiceManager(await loadConfig());
 * await using worker = new Worker("images", [resize], { services });
 * worker.run();
 * await using queue = new Queue("images", { services });
 * await queue.enqueue(resize, { url: "https://example.com/a.png" });
 * ```
 *
 * @example Get a service, for a tool that looks under naq's hood
 * ```ts
 * import { loadConfig } from "@naq/naq";
 * import { ServiceManager, StreamService } from "@naq/naq/services";
 *
 * await using services = new ServiceManager(await loadConfig());
 * const streams = await services.get(StreamService);
 * console.log(await streams.names());
 * ```
 */
export class ServiceManager implements AsyncDisposable {
  /** The resolved configuration every service reads. */
  readonly config: NaqConfig;
  /** The time every service reads. */
  readonly clock: Clock;
  readonly #pending = new Map<ServiceFactory<object>, Promise<object>>();
  readonly #created: object[] = [];
  #disposed?: Promise<void>;

  /**
   * Creates a manager; nothing connects until the first `get()`.
   *
   * @param config the resolved configuration, from `loadConfig()` or `createConfig()`
   * @param options `clock`: the time services read and wait on (delays, schedules, retries,
   *   job timeouts, keep-alives, `result()` timeouts, shutdown deadlines); the system clock by
   *   default. The server's `ackWait` runs on real time, so with a clock that does not move,
   *   running jobs get no keep-alive and are redelivered after it.
   */
  constructor(config: NaqConfig, options: { clock?: Clock } = {}) {
    this.config = config;
    this.clock = options.clock ?? systemClock;
  }

  /** True once disposal has begun. */
  get closed(): boolean {
    return this.#disposed !== undefined;
  }

  /**
   * Returns the manager's instance of a service, creating it (and what it depends on) the
   * first time.
   *
   * @param factory the service class
   * @returns the one instance for this manager
   * @throws {NaqError} with code `CLOSED` after disposal; whatever `create` throws otherwise
   */
  get<T extends object>(factory: ServiceFactory<T>): Promise<T> {
    if (this.#disposed) {
      return Promise.reject(
        new NaqError(
          ErrorCode.Closed,
          `Cannot get ${factory.name}: this ServiceManager was disposed; create a new one`,
        ),
      );
    }
    let pending = this.#pending.get(factory) as Promise<T> | undefined;
    if (!pending) {
      pending = this.#create(factory);
      this.#pending.set(factory, pending);
    }
    return pending;
  }

  async #create<T extends object>(factory: ServiceFactory<T>): Promise<T> {
    let service: T;
    try {
      service = await factory.create(this);
    } catch (err) {
      // a failed start is not cached: the next get() tries again (the server may be back)
      this.#pending.delete(factory);
      throw err;
    }
    // if disposal began meanwhile, it waits for this start and then disposes the service
    this.#created.push(service);
    return service;
  }

  /** Disposes every service, newest first; the same promise on every call. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#disposeAll();
    return this.#disposed;
  }

  /** Same as `await using` ending: disposes every service, once. */
  close(): Promise<void> {
    return this[Symbol.asyncDispose]();
  }

  async #disposeAll(): Promise<void> {
    // services still starting must finish before teardown, or they would be left open
    await Promise.allSettled(this.#pending.values());
    const errors: unknown[] = [];
    for (const service of this.#created.reverse()) {
      try {
        await disposeOne(service);
      } catch (err) {
        errors.push(err);
      }
    }
    this.#created.length = 0;
    this.#pending.clear();
    if (errors.length > 0) throw errors[0];
  }
}

async function disposeOne(service: object): Promise<void> {
  if (Symbol.asyncDispose in service) {
    await (service as AsyncDisposable)[Symbol.asyncDispose]();
  } else if (Symbol.dispose in service) {
    (service as Disposable)[Symbol.dispose]();
  }
}
