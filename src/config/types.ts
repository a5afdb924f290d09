/**
 * The shapes of naq's configuration: {@linkcode NaqConfig} as naq uses it (resolved, frozen,
 * durations in milliseconds) and {@linkcode ConfigInput} as people write it.
 *
 * The types are written out rather than inferred from the schema so that they read as
 * documentation and stay fast to type-check for JSR; `tests/config/types_test.ts` fails
 * when they drift from the schema.
 *
 * @module
 */

import type { BackoffSettings, BackoffType, QueueSettings } from "../core/settings.ts";
export type { BackoffSettings, BackoffType, QueueSettings } from "../core/settings.ts";

/** The settings one queue overrides; the rest come from `queueDefaults`. */
export interface PartialQueueSettings {
  /** Overrides {@linkcode QueueSettings.ackWait}. */
  readonly ackWait?: number;
  /** Overrides {@linkcode QueueSettings.attempts}. */
  readonly attempts?: number;
  /** Overrides {@linkcode QueueSettings.maxInFlight}. */
  readonly maxInFlight?: number;
  /** Overrides {@linkcode QueueSettings.maxStalls}. */
  readonly maxStalls?: number;
  /** Overrides single fields of {@linkcode QueueSettings.backoff}. */
  readonly backoff?: Partial<BackoffSettings>;
}

/** TLS files for the NATS connection. */
export interface TlsSettings {
  /** Path of the CA certificate that signed the server's certificate. */
  readonly ca?: string;
  /** Path of the client certificate, for mutual TLS. */
  readonly cert?: string;
  /** Path of the client certificate's private key. */
  readonly key?: string;
}

/** How to connect to NATS. */
export interface NatsSettings {
  /** Server URLs such as `nats://127.0.0.1:4222`; the client tries them all. */
  readonly servers: readonly string[];
  /** The connection name shown by the server's monitoring. */
  readonly name: string;
  /** User name for user/password authentication. */
  readonly user?: string;
  /** Password for user/password authentication (secret). */
  readonly pass?: string;
  /** Token for token authentication (secret). */
  readonly token?: string;
  /** NKey seed for nkey authentication (secret). */
  readonly nkeySeed?: string;
  /** Path of a `.creds` file for JWT authentication. */
  readonly credsFile?: string;
  /** TLS files; TLS is also used when a server URL starts with `tls://`. */
  readonly tls?: TlsSettings;
  /** How long to wait for the first connection, in milliseconds. */
  readonly connectTimeout: number;
  /** How to reconnect after the connection drops. */
  readonly reconnect: {
    /** Wait between attempts, in milliseconds. */
    readonly wait: number;
    /** Random extra wait per attempt, in milliseconds. */
    readonly jitter: number;
    /** Attempts before giving up; -1 tries forever. */
    readonly maxAttempts: number;
  };
}

/**
 * naq's resolved configuration: every field present (or deliberately optional), durations
 * in milliseconds, sizes in bytes, deeply frozen.
 */
export interface NaqConfig {
  /** How to connect to NATS. */
  readonly nats: NatsSettings;
  /**
   * Prefix of every stream, subject and bucket name, so applications can share an account:
   * 1 to 32 letters, digits and `-`, without `_` (it ends the prefix in stream names) and
   * other than `KV`.
   */
  readonly prefix: string;
  /** Settings of the streams naq creates. */
  readonly streams: {
    /** Copies of each stream in a cluster (1..5). */
    readonly replicas: number;
  };
  /** Settings of every queue that does not override them. */
  readonly queueDefaults: QueueSettings;
  /** Per-queue overrides by queue name; see `queueSettings()`. */
  readonly queues: Readonly<Record<string, PartialQueueSettings>>;
  /** Settings of workers. */
  readonly worker: {
    /** Jobs a worker runs at once. */
    readonly concurrency: number;
    /**
     * How often a worker, or a scheduler replica, reports that it is alive, in milliseconds,
     * at least 1 s: it rewrites its entry in the worker registry, which lapses two heartbeats
     * after its last write, and keeps each running job alive at least this often.
     */
    readonly heartbeat: number;
    /** How long running jobs may take to finish on shutdown, in milliseconds. */
    readonly shutdownTimeout: number;
    /**
     * Whether each worker also runs a scheduler replica, so that delayed jobs and schedules
     * fire wherever workers run; exactly one replica leads.
     */
    readonly scheduler: boolean;
  };
  /** Settings of schedulers. */
  readonly scheduler: {
    /** How long a scheduler's leadership lasts without renewal, in milliseconds. */
    readonly lease: number;
  };
  /** The event stream. */
  readonly events: {
    /** Whether events are published at all. */
    readonly enabled: boolean;
    /** How long events are kept, in milliseconds. */
    readonly maxAge: number;
    /** How many bytes of events are kept at most. */
    readonly maxBytes: number;
    /** Copies of the event stream in a cluster (1..5); `streams.replicas` when not set. */
    readonly replicas?: number;
  };
  /** Stored job results. */
  readonly results: {
    /** How long a result is kept, in milliseconds. */
    readonly ttl: number;
  };
  /** The web dashboard (`naq dashboard`). */
  readonly dashboard: {
    /**
     * The secret every action (and, beyond localhost, starting at all) needs; from
     * `NAQ_DASHBOARD_TOKEN` rather than a file, where it can.
     */
    readonly token?: string;
  };
}

/** A duration as written: `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"`, `"1h30m"`, or milliseconds. */
export type DurationInput = string | number;

/** A size as written: `"512MB"`, `"1GiB"`, or bytes. */
export type SizeInput = string | number;

/** Backoff settings as written; every field is optional. */
export interface BackoffInput {
  /** See {@linkcode BackoffSettings.type}. */
  type?: BackoffType;
  /** See {@linkcode BackoffSettings.delay}. */
  delay?: DurationInput;
  /** See {@linkcode BackoffSettings.maxDelay}. */
  maxDelay?: DurationInput;
  /** See {@linkcode BackoffSettings.jitter}. */
  jitter?: number;
  /** See {@linkcode BackoffSettings.delays}. */
  delays?: DurationInput[];
}

/** Queue settings as written; every field is optional. */
export interface QueueSettingsInput {
  /** See {@linkcode QueueSettings.ackWait}. */
  ackWait?: DurationInput;
  /** See {@linkcode QueueSettings.attempts}. */
  attempts?: number;
  /** See {@linkcode QueueSettings.maxInFlight}. */
  maxInFlight?: number;
  /** See {@linkcode QueueSettings.maxStalls}. */
  maxStalls?: number;
  /** See {@linkcode QueueSettings.backoff}. */
  backoff?: BackoffInput;
}

/**
 * Configuration as people write it, in a YAML file or as overrides: every field optional,
 * durations and sizes as strings or numbers.
 */
export interface ConfigInput {
  /** See {@linkcode NaqConfig.nats}. */
  nats?: {
    /** One URL, a comma-separated list, or a list. */
    servers?: string | string[];
    /** See {@linkcode NatsSettings.name}. */
    name?: string;
    /** See {@linkcode NatsSettings.user}. */
    user?: string;
    /** See {@linkcode NatsSettings.pass}. */
    pass?: string;
    /** See {@linkcode NatsSettings.token}. */
    token?: string;
    /** See {@linkcode NatsSettings.nkeySeed}. */
    nkeySeed?: string;
    /** See {@linkcode NatsSettings.credsFile}. */
    credsFile?: string;
    /** See {@linkcode NatsSettings.tls}. */
    tls?: { ca?: string; cert?: string; key?: string };
    /** See {@linkcode NatsSettings.connectTimeout}. */
    connectTimeout?: DurationInput;
    /** See {@linkcode NatsSettings.reconnect}. */
    reconnect?: { wait?: DurationInput; jitter?: DurationInput; maxAttempts?: number };
  };
  /** See {@linkcode NaqConfig.prefix}. */
  prefix?: string;
  /** See {@linkcode NaqConfig.streams}. */
  streams?: { replicas?: number };
  /** See {@linkcode NaqConfig.queueDefaults}. */
  queueDefaults?: QueueSettingsInput;
  /** See {@linkcode NaqConfig.queues}. */
  queues?: Record<string, QueueSettingsInput>;
  /** See {@linkcode NaqConfig.worker}. */
  worker?: {
    concurrency?: number;
    heartbeat?: DurationInput;
    shutdownTimeout?: DurationInput;
    scheduler?: boolean;
  };
  /** See {@linkcode NaqConfig.scheduler}. */
  scheduler?: { lease?: DurationInput };
  /** See {@linkcode NaqConfig.events}. */
  events?: { enabled?: boolean; maxAge?: DurationInput; maxBytes?: SizeInput; replicas?: number };
  /** See {@linkcode NaqConfig.results}. */
  results?: { ttl?: DurationInput };
  /** See {@linkcode NaqConfig.dashboard}. */
  dashboard?: { token?: string };
}
