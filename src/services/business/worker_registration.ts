import { systemClock } from "../../clock.ts";
import { clockSkewMs, describeClockSkew } from "../../core/clock_skew.ts";
import type { WorkerEntry, WorkerKind, WorkerState } from "../../core/worker_entry.ts";
import { NAQ_VERSION } from "../../version.ts";
import type { TaskLogger } from "../../task.ts";
import { ConnectionService } from "../core/connection_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";
import { WorkerRegistry } from "./worker_registry.ts";

/** What a registered process says of itself that does not change while it runs. */
export interface RegistrationSpec {
  /** Its id. */
  readonly id: string;
  /** A worker, or a scheduler replica. */
  readonly kind: WorkerKind;
  /** The queues it takes jobs from. */
  readonly queues: readonly string[];
  /** The names of the tasks it runs. */
  readonly tasks: readonly string[];
  /** How many jobs it runs at once. */
  readonly concurrency: number;
}

/** What changes while it runs, read at every heartbeat. */
export interface Activity {
  /** The jobs it runs now. */
  readonly running: WorkerEntry["running"];
  /** Whether it takes jobs. */
  readonly state: WorkerState;
}

/**
 * Keeps one process's entry in the {@linkcode WorkerRegistry}: written at once, then every
 * `worker.heartbeat`, and removed by {@linkcode close}.
 *
 * The registry is for people watching: a write that fails (a bucket without a leader, the
 * server away) is logged once, at `warn`, and tried again at the next heartbeat, and nothing
 * the process does waits for it. The heartbeats run on real time whatever clock the services
 * were given, since the entry's time to live runs out on the server's clock.
 */
export class Registration {
  readonly #services: ServiceManager;
  readonly #spec: RegistrationSpec;
  readonly #activity: () => Activity;
  readonly #log: TaskLogger;
  readonly #startedAt: number;
  readonly #stopped = new AbortController();
  /** The writes, one after the other, so that none lands after the removal. */
  #writing: Promise<void> = Promise.resolve();
  #queued = 0;
  #failing = false;
  #clockChecked = false;
  #host?: string;
  /** The connection the writes go through, once a write got it. */
  #connection?: ConnectionService;
  #closed?: Promise<void>;

  /**
   * Registers the process and starts its heartbeats.
   *
   * @param activity read at every write: the jobs it runs and its state
   * @param log told when writes start failing, and when they work again
   */
  constructor(
    services: ServiceManager,
    spec: RegistrationSpec,
    activity: () => Activity,
    log: TaskLogger,
  ) {
    this.#services = services;
    this.#spec = spec;
    this.#activity = activity;
    this.#log = log;
    this.#startedAt = services.clock.now();
    void this.#beat();
  }

  /** Writes the entry now, as its state changed; resolves once written (or failed). */
  refresh(): Promise<void> {
    return this.#write();
  }

  /**
   * Stops the heartbeats and removes the entry, after any write in flight. When the server is
   * away, it waits for neither: the entry expires within two heartbeats. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stopped.abort();
      if (!this.#connection?.connected) return;
      await this.#writing;
      if (!this.#connection.connected) return;
      try {
        await (await this.#services.get(WorkerRegistry)).remove(this.#spec.kind, this.#spec.id);
      } catch (err) {
        this.#log.warn(
          `${this.#name()}: cannot remove its entry from the worker registry; it expires ` +
            `within two heartbeats`,
          { error: String(err) },
        );
      }
    })();
    return this.#closed;
  }

  async #beat(): Promise<void> {
    const { heartbeat } = this.#services.config.worker;
    while (!this.#stopped.signal.aborted) {
      // a write still waiting for the server makes this beat's redundant
      if (this.#queued === 0) void this.#write();
      // real time: the entry's time to live runs out on the server's clock
      await systemClock.sleep(heartbeat, this.#stopped.signal).catch(() => {});
    }
  }

  #write(): Promise<void> {
    if (this.#stopped.signal.aborted) return this.#writing;
    this.#queued += 1;
    this.#writing = this.#writing.then(() => this.#writeOnce()).finally(() => {
      this.#queued -= 1;
    });
    return this.#writing;
  }

  async #writeOnce(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    try {
      this.#connection ??= await this.#services.get(ConnectionService);
      const registry = await this.#services.get(WorkerRegistry);
      const entry = this.#entry();
      if (this.#stopped.signal.aborted) return;
      const revision = await registry.put(entry);
      if (!this.#clockChecked) await this.#checkClock(registry, entry, revision);
      if (this.#failing) this.#log.info(`${this.#name()}: registered again in the worker registry`);
      this.#failing = false;
    } catch (err) {
      if (this.#stopped.signal.aborted || this.#services.closed || this.#failing) return;
      this.#failing = true;
      this.#log.warn(
        `${this.#name()}: cannot register in the worker registry; it goes on, and tries again ` +
          `every heartbeat`,
        { error: String(err) },
      );
    }
  }

  /**
   * Compares this process's clock with the server's once, by the stamp on its first write, and
   * warns when they disagree: the one write every worker and scheduler makes anyway.
   */
  async #checkClock(registry: WorkerRegistry, entry: WorkerEntry, revision: number): Promise<void> {
    const answeredAt = this.#services.clock.now();
    // the entry is written: a failed read leaves the check to the next write
    const storedAt = await registry.storedAt(entry.kind, entry.id, revision).catch(() => undefined);
    if (storedAt === undefined) return; // or replaced meanwhile
    this.#clockChecked = true;
    const skew = describeClockSkew(clockSkewMs(entry.heartbeatAt, answeredAt, storedAt));
    if (skew) {
      this.#log.warn(`${this.#name()}: ${skew}`, { serverTime: new Date(storedAt).toISOString() });
    }
  }

  #entry(): WorkerEntry {
    const { id, kind, queues, tasks, concurrency } = this.#spec;
    const { running, state } = this.#activity();
    this.#host ??= processHost(this.#connection!);
    return {
      id,
      kind,
      host: this.#host,
      pid: Deno.pid,
      queues,
      tasks,
      concurrency,
      running,
      startedAt: this.#startedAt,
      heartbeatAt: this.#services.clock.now(),
      version: NAQ_VERSION,
      state,
    };
  }

  #name(): string {
    return `naq ${this.#spec.kind} ${this.#spec.id}`;
  }
}

/**
 * The machine's name when the process may read it, else its address as the NATS server sees
 * it: `naq worker` runs without `--allow-sys`, and asking for it would stop a worker on a
 * terminal at a prompt.
 */
function processHost(connection: ConnectionService): string {
  if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
    return Deno.hostname();
  }
  return connection.clientAddress ?? "unknown";
}
