import { type Clock, systemClock } from "../../clock.ts";
import { DueIndex } from "../../core/due_index.ts";
import { inWindows } from "../../core/in_windows.ts";
import { wireNames } from "../../core/names.ts";
import type { ScheduleRecord } from "../../core/schedule.ts";
import type { TaskLogger } from "../../task.ts";
import { ConnectionError } from "../../errors.ts";
import { ConnectionService } from "../core/connection_service.ts";
import type { StreamFeed } from "../core/stream_feed.ts";
import { KVStoreService } from "../core/kv_store_service.ts";
import { LeaderLease, type LeaseRecord } from "./leader_lease.ts";
import { ScheduleService } from "./schedule_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";

/** What a scheduler replica reports about itself. */
export interface SchedulerStatus {
  /** True while it leads, and so is the one firing. */
  readonly leading: boolean;
  /** Active schedules in its index (0 unless leading). */
  readonly schedules: number;
}

// due items taken per step, and firings in flight at once
const BATCH = 1_000;
const WINDOW = 128;
// an idle leader looks again this often, whatever its index says
const MAX_IDLE_MS = 1_000;
// a firing that failed (the server busy, a stream electing a leader) is tried again after this
const RETRY_MS = 1_000;

/**
 * Turns time into jobs: builds scheduler replicas, of which exactly one, elected through a
 * lease, fires due schedules. Their DST-correct instants and missed-firing policy are naq's
 * own, which the server's schedules do not offer; delayed jobs are the server's alone.
 */
export class SchedulerService {
  readonly #connection: ConnectionService;
  readonly #servers: readonly string[];
  readonly #schedules: ScheduleService;
  readonly #lease: LeaseSource;
  readonly #clock: Clock;
  readonly #leaseMs: number;

  private constructor(services: ServiceManager, deps: SchedulerDeps) {
    this.#connection = deps.connection;
    this.#servers = services.config.nats.servers;
    this.#schedules = deps.schedules;
    this.#lease = deps.lease;
    this.#clock = services.clock;
    this.#leaseMs = services.config.scheduler.lease;
  }

  /** Builds the service and the lease bucket. */
  static async create(services: ServiceManager): Promise<SchedulerService> {
    const { config } = services;
    const [connection, schedules, kv] = await Promise.all([
      services.get(ConnectionService),
      services.get(ScheduleService),
      services.get(KVStoreService),
    ]);
    const bucket = await kv.bucket<LeaseRecord>(wireNames(config.prefix).schedulerBucket, {
      replicas: config.streams.replicas,
    });
    return new SchedulerService(services, {
      connection,
      schedules,
      // real time: the lease tells whether other processes are alive, and they live on real
      // time whatever clock a test drives this one's schedules with (lease tests inject theirs)
      lease: (holder) =>
        new LeaderLease(bucket, "leader", holder, config.scheduler.lease, systemClock),
    });
  }

  /** A replica named `id`; it competes for the lease once run. */
  replica(id: string, log: TaskLogger): SchedulerReplica {
    return new SchedulerReplica(id, log, this.#lease(id), {
      connection: this.#connection,
      servers: this.#servers,
      schedules: this.#schedules,
      clock: this.#clock,
      // a firing later than two leases was missed (downtime), not merely late (a failover)
      missedAfterMs: 2 * this.#leaseMs,
    });
  }
}

type LeaseSource = (holder: string) => LeaderLease;

interface SchedulerDeps {
  readonly connection: ConnectionService;
  readonly schedules: ScheduleService;
  readonly lease: LeaseSource;
}

interface ReplicaDeps {
  readonly connection: ConnectionService;
  /** The configured server URLs, for errors. */
  readonly servers: readonly string[];
  readonly schedules: ScheduleService;
  readonly clock: Clock;
  readonly missedAfterMs: number;
}

/**
 * One scheduler replica. While it leads it keeps an index of what is due next, fed by
 * changes to the schedules bucket, and fires what comes due; a step
 * costs what is due, not what is pending.
 */
export class SchedulerReplica {
  /** The replica's id, as the lease shows it. */
  readonly id: string;
  readonly #log: TaskLogger;
  readonly #lease: LeaderLease;
  readonly #deps: ReplicaDeps;
  readonly #schedulesDue = new DueIndex<string>();
  #wake = new AbortController();
  #sleepingUntil = Infinity;

  /** @internal built by {@linkcode SchedulerService.replica} */
  constructor(id: string, log: TaskLogger, lease: LeaderLease, deps: ReplicaDeps) {
    this.id = id;
    this.#log = log;
    this.#lease = lease;
    this.#deps = deps;
  }

  /** Whether it leads, and how much its index holds. */
  get status(): SchedulerStatus {
    return {
      leading: this.#lease.leading,
      schedules: this.#schedulesDue.size,
    };
  }

  /**
   * Competes for leadership, and leads when elected, until `signal` aborts.
   *
   * @throws {ConnectionError} when the connection closed for good
   */
  async run(signal: AbortSignal): Promise<void> {
    const closed = new AbortController();
    await this.#lease.run(
      AbortSignal.any([signal, closed.signal]),
      (leading) => this.#lead(leading),
      (err) => {
        if (this.#deps.connection.closed) return closed.abort();
        this.#log.warn(`naq scheduler ${this.id}: ${err}`);
      },
    );
    if (closed.signal.aborted && !signal.aborted) {
      throw ConnectionError.closedForGood([...this.#deps.servers], `Scheduler ${this.id}`);
    }
  }

  async #lead(leading: AbortSignal): Promise<void> {
    this.#log.info(`naq scheduler ${this.id}: leading`);
    const feeds = await Promise.all([
      this.#deps.schedules.bucket.follow(
        ">",
        (key, schedule) => this.#indexSchedule(key, schedule),
      ),
    ].map((feed) => feed.catch((err) => err as Error)));
    const failed = feeds.find((feed) => feed instanceof Error);
    const opened = feeds.filter((feed): feed is StreamFeed => !(feed instanceof Error));
    if (failed) {
      await Promise.all(opened.map((feed) => feed.stop()));
      throw failed;
    }
    // a feed that ends while leading has lost its stream: step down, and start afresh
    const feedEnded = Promise.race(opened.map((feed) => feed.ended)).then(() => {
      throw new Error("a feed of the scheduler's index ended");
    });
    feedEnded.catch(() => {});
    try {
      while (!leading.aborted) {
        if (await this.#step(leading)) continue;
        await Promise.race([this.#idle(leading), feedEnded]);
      }
    } finally {
      await Promise.all(opened.map((feed) => feed.stop()));
      this.#schedulesDue.clear();
      this.#log.info(`naq scheduler ${this.id}: stopped leading`);
    }
  }

  /** Fires what is due now, while still leading; false when nothing was due. */
  async #step(leading: AbortSignal): Promise<boolean> {
    const schedules = this.#schedulesDue.takeDue(this.#deps.clock.now(), BATCH);
    if (schedules.length === 0) return false;
    // once leadership is lost, the rest of the batch is the next leader's
    const whileLeading = <T>(fire: (item: T) => Promise<void>) => async (item: T) => {
      if (!leading.aborted) await fire(item);
    };
    await inWindows(schedules, WINDOW, whileLeading((key: string) => this.#fire(key)));
    return true;
  }

  async #idle(leading: AbortSignal): Promise<void> {
    const now = this.#deps.clock.now();
    const next = this.#schedulesDue.next() ?? Infinity;
    this.#sleepingUntil = Math.min(next, now + MAX_IDLE_MS);
    this.#wake = new AbortController();
    const wakeOrStop = AbortSignal.any([leading, this.#wake.signal]);
    await this.#deps.clock.sleep(this.#sleepingUntil - now, wakeOrStop).catch(() => {});
    this.#sleepingUntil = Infinity;
  }

  /** Wakes an idle leader when something new is due before it would look again. */
  #poke(at: number): void {
    if (at < this.#sleepingUntil) this.#wake.abort();
  }

  #indexSchedule(key: string, schedule: ScheduleRecord | null): void {
    if (schedule && !schedule.paused && schedule.nextRunAt !== null) {
      this.#schedulesDue.set(key, schedule.nextRunAt);
      this.#poke(schedule.nextRunAt);
    } else {
      this.#schedulesDue.delete(key);
    }
  }

  async #fire(key: string): Promise<void> {
    try {
      this.#indexSchedule(key, await this.#deps.schedules.fire(key, this.#deps.missedAfterMs));
    } catch (err) {
      this.#log.warn(`naq scheduler ${this.id}: could not fire schedule ${key}, retrying`, {
        error: String(err),
      });
      this.#schedulesDue.set(key, this.#deps.clock.now() + RETRY_MS);
    }
  }
}
