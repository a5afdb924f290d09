import { type WireNames, wireNames } from "../../core/names.ts";
import {
  entryTtlMs,
  isWorkerEntry,
  sortEntries,
  type WorkerEntry,
} from "../../core/worker_entry.ts";
import { type JsonBucket, KVStoreService } from "../core/kv_store_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";

/**
 * How long the marker of a removed or expired entry stays in the bucket, for watchers (a
 * dashboard) to see the worker go; then nothing is left of it.
 */
const MARKER_TTL_MS = 60_000;

/**
 * The registry of running workers and scheduler replicas: a KV bucket with one entry each,
 * which its owner rewrites every heartbeat (`worker.heartbeat`).
 *
 * Each write carries its own time to live of two heartbeats (a per-message TTL, nats-server
 * 2.11+), so the server removes the entry of a process that died without a word within two
 * heartbeats of its last write, by the writer's own heartbeat: processes with different
 * heartbeats share the bucket, and no reader compares clocks. A graceful stop purges the entry
 * at once.
 */
export class WorkerRegistry {
  readonly #bucket: JsonBucket<WorkerEntry>;
  readonly #names: WireNames;
  /** How long an entry this process writes lives: two of its heartbeats. */
  readonly ttlMs: number;

  private constructor(bucket: JsonBucket<WorkerEntry>, names: WireNames, ttlMs: number) {
    this.#bucket = bucket;
    this.#names = names;
    this.ttlMs = ttlMs;
  }

  /** Builds the service, creating its bucket when missing. */
  static async create(services: ServiceManager): Promise<WorkerRegistry> {
    const names = wireNames(services.config.prefix);
    const bucket = await (await services.get(KVStoreService)).bucket<WorkerEntry>(
      names.workersBucket,
      { replicas: services.config.streams.replicas, markerTtlMs: MARKER_TTL_MS },
    );
    return new WorkerRegistry(bucket, names, entryTtlMs(services.config.worker.heartbeat));
  }

  /**
   * The workers and scheduler replicas running now, as of their last heartbeats: workers
   * first, then schedulers, each oldest first. A scan of the bucket, for operators.
   *
   * @param options `queue`: only the workers taking jobs from it
   */
  async list(options: { readonly queue?: string } = {}): Promise<WorkerEntry[]> {
    const { queue } = options;
    const entries = (await this.#bucket.values()).map((entry) => entry.value)
      .filter(isWorkerEntry)
      .filter((entry) => queue === undefined || entry.queues.includes(queue));
    return sortEntries(entries);
  }

  /** Reads one entry; `null` when it is absent, removed or expired. */
  async get(kind: WorkerEntry["kind"], id: string): Promise<WorkerEntry | null> {
    const entry = await this.#bucket.get(this.#names.workerKey(kind, id));
    return entry && isWorkerEntry(entry.value) ? entry.value : null;
  }

  /** Writes `entry`: it lives {@linkcode ttlMs} unless written again; returns its revision. */
  async put(entry: WorkerEntry): Promise<number> {
    return await this.#bucket.put(this.#names.workerKey(entry.kind, entry.id), entry, {
      ttlMs: this.ttlMs,
    });
  }

  /**
   * When the server stored the entry's write of `revision`, by the server's clock; `undefined`
   * when another write replaced it since.
   */
  async storedAt(
    kind: WorkerEntry["kind"],
    id: string,
    revision: number,
  ): Promise<number | undefined> {
    const entry = await this.#bucket.get(this.#names.workerKey(kind, id));
    return entry?.revision === revision ? entry.storedAt : undefined;
  }

  /** Removes an entry at once. */
  async remove(kind: WorkerEntry["kind"], id: string): Promise<void> {
    await this.#bucket.purge(this.#names.workerKey(kind, id), { markerTtlMs: MARKER_TTL_MS });
  }
}
