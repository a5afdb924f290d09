import type { Clock } from "../../clock.ts";
import { type WireNames, wireNames } from "../../core/names.ts";
import { type JsonBucket, KVStoreService } from "../core/kv_store_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";

/** A queue's switches, as stored. */
export interface QueueState {
  /** While true, workers start no job of the queue. */
  readonly paused: boolean;
  /** When it was last paused or resumed, in ms since the epoch. */
  readonly since: number;
}

// a lost notification (a reconnect) is corrected this often
const REFRESH_MS = 5_000;

/**
 * Pausing and resuming queues: a flag per queue in KV that every worker follows.
 */
export class QueueStateService {
  readonly #bucket: JsonBucket<QueueState>;
  readonly #names: WireNames;
  readonly #clock: Clock;

  private constructor(bucket: JsonBucket<QueueState>, names: WireNames, clock: Clock) {
    this.#bucket = bucket;
    this.#names = names;
    this.#clock = clock;
  }

  /** Builds the service and its bucket. */
  static async create(services: ServiceManager): Promise<QueueStateService> {
    const names = wireNames(services.config.prefix);
    const bucket = await (await services.get(KVStoreService)).bucket<QueueState>(
      names.queuesBucket,
      { replicas: services.config.streams.replicas },
    );
    return new QueueStateService(bucket, names, services.clock);
  }

  /** Pauses the queue: workers finish the jobs they run, and start no other until resumed. */
  async pause(queue: string): Promise<void> {
    await this.#setPaused(queue, true);
  }

  /** Resumes a paused queue. */
  async resume(queue: string): Promise<void> {
    await this.#setPaused(queue, false);
  }

  async #setPaused(queue: string, paused: boolean): Promise<void> {
    await this.#bucket.put(this.#names.queueKey(queue), { paused, since: this.#clock.now() });
  }

  /** Whether the queue is paused. */
  async isPaused(queue: string): Promise<boolean> {
    return (await this.#bucket.get(this.#names.queueKey(queue)))?.value.paused ?? false;
  }

  /** Follows the queue's flag, for a worker; stop it with `stop()`. */
  async follow(queue: string): Promise<PauseFlag> {
    const key = this.#names.queueKey(queue);
    const flag = new PauseFlag();
    // what is stored, and at which revision, says what holds, whatever order reads and
    // notifications arrive in
    const read = async () => {
      const entry = await this.#bucket.get(key);
      flag.set(entry?.value.paused ?? false, entry?.revision ?? 0);
    };
    const watch = await this.#bucket.watchChanges(key, (change) => {
      change.stored().then((entry) => {
        if (entry !== undefined) flag.set(entry?.value.paused ?? false, entry?.revision ?? 0);
      }, () => {});
    });
    const refreshing = new AbortController();
    const refresh = async () => {
      while (!refreshing.signal.aborted) {
        await this.#clock.sleep(REFRESH_MS, refreshing.signal).catch(() => {});
        // the server is away: keep the last known state until it answers
        await read().catch(() => {});
      }
    };
    // read after the watch is in place, so that no change made meanwhile is missed
    await read();
    void refresh();
    flag.onStop(() => {
      watch.stop();
      refreshing.abort();
    });
    return flag;
  }
}

/** A queue's paused flag as a worker follows it. */
export class PauseFlag {
  #paused = false;
  #revision = 0;
  #pausing = new AbortController();
  #resumed = Promise.withResolvers<void>();
  #onStop: () => void = () => {};

  /** True while the queue is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Aborts when the queue is paused: a pull in progress stops. */
  get pausing(): AbortSignal {
    return this.#pausing.signal;
  }

  /** Resolves once the queue is resumed, or rejects when `signal` aborts first. */
  whenResumed(signal: AbortSignal): Promise<void> {
    if (!this.#paused) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#resumed.promise.then(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /**
   * @internal set by the service from the stored flag; a revision older than the one
   * applied (a slow read) is ignored
   */
  set(paused: boolean, revision: number): void {
    if (revision < this.#revision) return;
    this.#revision = revision;
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) {
      this.#pausing.abort(new Error("the queue was paused"));
    } else {
      this.#pausing = new AbortController();
      this.#resumed.resolve();
      this.#resumed = Promise.withResolvers<void>();
    }
  }

  /** @internal */
  onStop(stop: () => void): void {
    this.#onStop = stop;
  }

  /** Stops following. */
  stop(): void {
    this.#onStop();
  }
}
