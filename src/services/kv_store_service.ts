import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type KV, Kvm, type KvOptions } from "@nats-io/kv";
import { ErrorCode, NaqError } from "../errors.ts";
import { ConnectionService } from "./connection_service.ts";
import type { ServiceManager } from "./service_manager.ts";

/** How a bucket is created when it does not exist yet. */
export interface BucketOptions {
  /** Entries older than this are removed; 0 or omitted keeps them. */
  readonly ttlMs?: number;
  /** How many revisions of each key are kept. Default 1. */
  readonly history?: number;
  /** How many servers hold a copy. Default 1. */
  readonly replicas?: number;
}

/** A value with the revision it was stored at, for compare-and-swap. */
export interface Versioned<T> {
  /** The decoded value. */
  readonly value: T;
  /** Pass this to {@linkcode JsonBucket.update} to change the value only if nobody else did. */
  readonly revision: number;
}

// "wrong last sequence": the key changed (or exists) since the revision we hold
const CONFLICT_CODES: ReadonlySet<number> = new Set([
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
]);

/** A KV bucket of JSON values. */
export class JsonBucket<T> {
  /** The bucket's name. */
  readonly name: string;
  readonly #kv: KV;

  /** @internal use {@linkcode KVStoreService.bucket} */
  constructor(name: string, kv: KV) {
    this.name = name;
    this.#kv = kv;
  }

  /**
   * Reads a key.
   *
   * @returns the value and its revision, or `null` when the key is absent or deleted
   * @throws {NaqError} with code `DECODE` when the stored bytes are not JSON
   */
  async get(key: string): Promise<Versioned<T> | null> {
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== "PUT") return null;
    return { value: this.#decode(key, entry.string()), revision: entry.revision };
  }

  /** Writes a key whatever it held; returns the new revision. */
  put(key: string, value: T): Promise<number> {
    return this.#kv.put(key, JSON.stringify(value));
  }

  /** Writes a key only if it does not exist; returns the new revision, or `null` if it did. */
  create(key: string, value: T): Promise<number | null> {
    return orNullOnConflict(this.#kv.create(key, JSON.stringify(value)));
  }

  /**
   * Writes a key only if it is still at `revision` (compare-and-swap).
   *
   * @returns the new revision, or `null` when someone else changed the key first
   */
  update(key: string, value: T, revision: number): Promise<number | null> {
    return orNullOnConflict(this.#kv.update(key, JSON.stringify(value), revision));
  }

  /** Deletes a key; reading it then gives `null`. */
  delete(key: string): Promise<void> {
    return this.#kv.delete(key);
  }

  /** Lists the keys that have a value, in no particular order; `filter` may use `*` and `>`. */
  async keys(filter = ">"): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.#kv.keys(filter)) keys.push(key);
    return keys;
  }

  /** Reads every value whose key matches `filter`: a scan, for admin views, not hot paths. */
  async values(filter = ">"): Promise<Versioned<T>[]> {
    const entries = await Promise.all((await this.keys(filter)).map((key) => this.get(key)));
    return entries.filter((entry): entry is Versioned<T> => entry !== null);
  }

  /**
   * Yields the key's current value (or `null` when absent), then every later change, until
   * the signal aborts or the iteration is left.
   */
  async *watch(key: string, signal?: AbortSignal): AsyncGenerator<Versioned<T> | null> {
    const watcher = await this.#kv.watch({ key });
    const stop = () => watcher.stop();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      if (signal?.aborted) return;
      // an absent key sends nothing at first: say so, then wait for it to appear
      if (!await this.#kv.get(key)) yield null;
      for await (const entry of watcher) {
        yield entry.operation === "PUT"
          ? { value: this.#decode(key, entry.string()), revision: entry.revision }
          : null;
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      stop();
    }
  }

  #decode(key: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new NaqError(
        ErrorCode.Decode,
        `Key "${key}" in bucket ${this.name} does not hold JSON (${text.slice(0, 40)}…); ` +
          `it was not written by naq`,
        { cause: err },
      );
    }
  }
}

async function orNullOnConflict(write: Promise<number>): Promise<number | null> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof JetStreamApiError && CONFLICT_CODES.has(err.code)) return null;
    throw err;
  }
}

/** Opens KV buckets, creating them when missing, once per bucket per manager. */
export class KVStoreService {
  readonly #kvm: Kvm;
  readonly #buckets = new Map<string, Promise<JsonBucket<unknown>>>();

  private constructor(kvm: Kvm) {
    this.#kvm = kvm;
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<KVStoreService> {
    const connection = await services.get(ConnectionService);
    return new KVStoreService(new Kvm(connection.jetstream()));
  }

  /**
   * Opens a bucket of JSON values, creating it with `options` when it does not exist.
   *
   * @param name the bucket's name, from `src/core/names.ts`
   * @param options used only when the bucket is created
   */
  bucket<T>(name: string, options: BucketOptions = {}): Promise<JsonBucket<T>> {
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = this.#open(name, options);
      this.#buckets.set(name, bucket);
      bucket.catch(() => this.#buckets.delete(name));
    }
    return bucket as Promise<JsonBucket<T>>;
  }

  async #open(name: string, options: BucketOptions): Promise<JsonBucket<unknown>> {
    const kvOptions: Partial<KvOptions> = {
      history: options.history ?? 1,
      replicas: options.replicas ?? 1,
      ttl: options.ttlMs ?? 0,
    };
    return new JsonBucket(name, await this.#kvm.create(name, kvOptions));
  }
}
