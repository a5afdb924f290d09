import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm, type KvOptions } from "@nats-io/kv";
import type { MsgHdrs } from "@nats-io/nats-core";
import { systemClock } from "../../clock.ts";
import { ErrorCode, NaqError } from "../../errors.ts";
import { ConnectionService } from "./connection_service.ts";
import type { ServiceManager } from "./service_manager.ts";
import { followStream, type StreamFeed } from "./stream_feed.ts";

/** How a bucket is created when it does not exist yet. */
export interface BucketOptions {
  /** Entries older than this are removed; 0 or omitted keeps them. */
  readonly ttlMs?: number;
  /** How many revisions of each key are kept. Default 1. */
  readonly history?: number;
  /** How many servers hold a copy. Default 1. */
  readonly replicas?: number;
  /**
   * Lets each write set its own time to live (`put`'s `ttlMs`, nats-server 2.11+), and keeps
   * the marker the server leaves where a key expired for this long, so that watchers see it
   * go: whole seconds, at least 1 s.
   */
  readonly markerTtlMs?: number;
}

/** How long a key written with a time to live stays, as `Nats-TTL` states it: `"10s"`. */
function ttlHeader(ttlMs: number, what: string): string {
  if (!Number.isInteger(ttlMs / 1_000) || ttlMs < 1_000) {
    throw new RangeError(
      `Cannot ${what} with a time to live of ${ttlMs} ms: NATS counts it in whole seconds, ` +
        `at least 1 s`,
    );
  }
  return `${ttlMs / 1_000}s`;
}

/** A value with the revision it was stored at, for compare-and-swap. */
export interface Versioned<T> {
  /** The decoded value. */
  readonly value: T;
  /** Pass this to {@linkcode JsonBucket.update} to change the value only if nobody else did. */
  readonly revision: number;
  /** When the server stored it, by the server's clock, in ms since the epoch. */
  readonly storedAt: number;
}

// "wrong last sequence": the key changed (or exists) since the revision we hold
const CONFLICT_CODES: ReadonlySet<number> = new Set([
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
]);

/** A write to a bucket as {@linkcode JsonBucket.watchChanges} saw it go by. */
export interface BucketChange<T> {
  /** The key written. */
  readonly key: string;
  /** The value written, or `null` for a deletion. */
  readonly value: T | null;
  /**
   * Reads the key until it holds this write: the stored entry (`null` for a deletion), or
   * `undefined` when it does not within about 5 s, because the write was refused or a later
   * one replaced it (whose own change then follows). With `signal`, it goes on reading every
   * 2 s until the signal aborts, for a write that a slow server stores later still.
   */
  stored(signal?: AbortSignal): Promise<Versioned<T> | null | undefined>;
}

// The pauses between the reads of BucketChange.stored(), about 5 s in all, then the pause
// while a signal lets it go on: on real time, as they wait for the server to store what it
// has already passed on
const CONFIRM_PAUSES_MS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 1_000, 2_000];
const CONFIRM_PAUSE_AFTER_MS = 2_000;

/**
 * True when a bucket's message removes its key: a delete, a purge, or the marker the server
 * leaves where a key's time to live ran out (`Nats-Marker-Reason`, with no `KV-Operation`).
 */
function removesKey(headers: MsgHdrs | undefined): boolean {
  const operation = headers?.get("KV-Operation");
  return operation === "DEL" || operation === "PURGE" ||
    (headers?.has("Nats-Marker-Reason") ?? false);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A KV bucket of JSON values. */
export class JsonBucket<T> {
  /** The bucket's name. */
  readonly name: string;
  readonly #kv: KV;
  readonly #connection: ConnectionService;

  /**
   * Wraps an open bucket; use {@linkcode KVStoreService.bucket} rather than this.
   *
   * @ignore
   */
  constructor(name: string, kv: KV, connection: ConnectionService) {
    this.name = name;
    this.#kv = kv;
    this.#connection = connection;
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
    return this.#versioned(key, entry);
  }

  /**
   * Writes a key whatever it held; returns the new revision. With `ttlMs`, the server removes
   * the key that long after this write unless it is written again: the bucket must have been
   * created with {@linkcode BucketOptions.markerTtlMs}.
   *
   * @throws {RangeError} when `ttlMs` is not a whole number of seconds, at least 1 s
   */
  async put(key: string, value: T, options: { readonly ttlMs?: number } = {}): Promise<number> {
    if (options.ttlMs === undefined) return await this.#kv.put(key, JSON.stringify(value));
    // nats.js 3.4.0's put() sets no TTL: publish to the key's subject as put() does, with one
    const ttl = ttlHeader(options.ttlMs, `write key "${key}" of bucket ${this.name}`);
    const ack = await this.#connection.jetstream()
      .publish(`$KV.${this.name}.${key}`, JSON.stringify(value), { ttl });
    return ack.seq;
  }

  /**
   * Removes a key and every revision of it at once, leaving a marker that watchers see; with
   * `markerTtlMs`, the marker goes too after that long, so that keys used once (a worker's)
   * leave nothing behind. Reading the key then gives `null`.
   *
   * @throws {RangeError} when `markerTtlMs` is not a whole number of seconds, at least 1 s
   */
  async purge(key: string, options: { readonly markerTtlMs?: number } = {}): Promise<void> {
    const ttl = options.markerTtlMs === undefined
      ? undefined
      : ttlHeader(options.markerTtlMs, `purge key "${key}" of bucket ${this.name}`);
    await this.#kv.purge(key, ttl === undefined ? {} : { ttl });
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

  /**
   * Deletes a key; reading it then gives `null`. With `revision`, only if the key is still
   * at it.
   *
   * @returns false when `revision` was given and someone else changed the key first
   */
  async delete(key: string, revision?: number): Promise<boolean> {
    const write = this.#kv.delete(key, revision === undefined ? {} : { previousSeq: revision });
    return await orNullOnConflict(write.then(() => 0)) !== null;
  }

  /** Lists the keys that have a value, in no particular order; `filter` may use `*` and `>`. */
  async keys(filter = ">"): Promise<string[]> {
    const entries = await Promise.all(
      (await this.#candidateKeys(filter)).map(async (key) => (await this.get(key)) && key),
    );
    return entries.filter((key): key is string => key !== null);
  }

  /**
   * Every key matching `filter` that the bucket's stream holds a message for, deleted ones
   * included. Read from the stream's subject index rather than with `kv.keys()`, which
   * leaves a consumer on the server for minutes after each call, and needs a stream leader
   * able to create one.
   */
  async #candidateKeys(filter: string): Promise<string[]> {
    const jsm = await this.#connection.jetstreamManager();
    const prefix = `$KV.${this.name}.`;
    const info = await jsm.streams.info(`KV_${this.name}`, { subjects_filter: prefix + filter });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  /** Reads every value whose key matches `filter`: a scan, for admin views, not hot paths. */
  async values(filter = ">"): Promise<Versioned<T>[]> {
    const entries = await Promise.all(
      (await this.#candidateKeys(filter)).map((key) => this.get(key)),
    );
    return entries.filter((entry): entry is Versioned<T> => entry !== null);
  }

  /**
   * Calls `onChange` for every write from now on to a key matching `filter`, until the
   * returned `stop()`. Resolves once the watch is in place, so a read made after it cannot
   * miss a change. A notification is not proof that the bucket stored the write: it may have
   * refused it (a compare-and-swap that lost), and nats-server 2.10+ notifies before it has
   * stored it. `change.stored()` reads until the bucket agrees.
   */
  async watchChanges(
    filter: string,
    onChange: (change: BucketChange<T>) => void,
  ): Promise<{ stop(): void }> {
    // a plain subscription on the bucket's subjects, not a KV watch: nats.js leaves a watch's
    // consumer on the server for minutes after stop(), and waiters come and go all the time
    const prefix = `$KV.${this.name}.`;
    const subscription = this.#connection.nc.subscribe(prefix + filter, {
      callback: (err, message) => {
        if (err) return;
        const key = message.subject.slice(prefix.length);
        const deleted = removesKey(message.headers);
        let value: T | null;
        try {
          value = deleted ? null : this.#decode(key, message.string());
        } catch {
          return; // a value that is not JSON was not written by naq; the watch goes on
        }
        const written = message.data;
        onChange({
          key,
          value,
          stored: (signal) => this.#storedAs(key, deleted ? null : written, signal),
        });
      },
    });
    await this.#connection.nc.flush(); // the server has the subscription: later writes reach it
    return { stop: () => subscription.unsubscribe() };
  }

  /** Reads `key` until it holds `written` (`null`: deleted), or gives up: see BucketChange. */
  async #storedAs(
    key: string,
    written: Uint8Array | null,
    signal: AbortSignal | undefined,
  ): Promise<Versioned<T> | null | undefined> {
    for (let attempt = 0; attempt < CONFIRM_PAUSES_MS.length || signal; attempt++) {
      const pause = CONFIRM_PAUSES_MS[attempt] ?? CONFIRM_PAUSE_AFTER_MS;
      if (pause > 0) {
        // real time: this waits for the server to store what it passed on
        const slept = await systemClock.sleep(pause, signal).then(() => true, () => false);
        if (!slept) return undefined;
      }
      const entry = await this.#kv.get(key);
      const present = entry !== null && entry.operation === "PUT";
      if (written === null && !present) return null;
      if (written !== null && present && bytesEqual(entry.value, written)) {
        return this.#versioned(key, entry);
      }
    }
    return undefined;
  }

  /**
   * Calls `onChange` with the current value of every key matching `filter`, then with every
   * change the bucket stores, in order, until stopped (`null` for a deletion). Unlike
   * {@linkcode watchChanges}, it sees only writes the bucket stored, never one it refused,
   * and catches up after a reconnect; it costs a consumer on the server while it runs.
   */
  follow(filter: string, onChange: (key: string, value: T | null) => void): Promise<StreamFeed> {
    const prefix = `$KV.${this.name}.`;
    return followStream(this.#connection, `KV_${this.name}`, {
      filter_subjects: prefix + filter,
      deliver_policy: DeliverPolicy.LastPerSubject,
    }, (message) => {
      const key = message.subject.slice(prefix.length);
      if (removesKey(message.headers)) return onChange(key, null);
      try {
        onChange(key, this.#decode(key, message.string()));
      } catch {
        // a value that is not JSON was not written by naq: skip it
      }
    });
  }

  #versioned(key: string, entry: KvEntry): Versioned<T> {
    const value = this.#decode(key, entry.string());
    return { value, revision: entry.revision, storedAt: entry.created.getTime() };
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
  readonly #connection: ConnectionService;
  readonly #buckets = new Map<string, Promise<JsonBucket<unknown>>>();

  private constructor(kvm: Kvm, connection: ConnectionService) {
    this.#kvm = kvm;
    this.#connection = connection;
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<KVStoreService> {
    const connection = await services.get(ConnectionService);
    return new KVStoreService(new Kvm(connection.jetstream()), connection);
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
    if (options.markerTtlMs !== undefined) {
      ttlHeader(options.markerTtlMs, `create bucket ${name}`); // the rule the writes follow
      kvOptions.markerTTL = options.markerTtlMs;
    }
    return new JsonBucket(name, await this.#kvm.create(name, kvOptions), this.#connection);
  }
}
