import { type Clock, systemClock } from "../clock.ts";
import { DueIndex } from "../core/due_index.ts";
import { inWindows } from "../core/in_windows.ts";
import { wireNames } from "../core/names.ts";
import type { ScheduleRecord } from "../core/schedule.ts";
import type { TaskLogger } from "../task.ts";
import { ConnectionError } from "../errors.ts";
import { ConnectionService } from "./connection_service.ts";
import { DelayedJobStore } from "./delayed_job_store.ts";
import type { StreamFeed } from "./stream_feed.ts";
import { JobService } from "./job_service.ts";
import { KVStoreService } from "./kv_store_service.ts";
import { LeaderLease, type LeaseRecord } from "./leader_lease.ts";
import { ScheduleService } from "./schedule_service.ts";
import type { ServiceManager } from "./service_manager.ts";

/** What a scheduler replica reports about itself. */
export interface SchedulerStatus {
  /** True while it leads, and so is the one firing. */
  readonly leading: boolean;
  /** Delayed jobs in its index (0 unless leading). */
  readonly delayed: number;
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
 * lease, fires due delayed jobs and schedules.
 */
export class SchedulerService {
  readonly #connection: ConnectionService;
  readonly #servers: readonly string[];
  readonly #jobs: JobService;
  readonly #schedules: ScheduleService;
  readonly #delayed: DelayedJobStore;
  readonly #lease: LeaseSource;
  readonly #clock: Clock;
  readonly #leaseMs: number;

  private constructor(services: ServiceManager, deps: SchedulerDeps) {
    this.#connection = deps.connection;
    this.#servers = services.config.nats.servers;
    this.#jobs = deps.jobs;
    this.#schedules = deps.schedules;
    this.#delayed = deps.delayed;
    this.#lease = deps.lease;
    this.#clock = services.clock;
    this.#leaseMs = services.config.scheduler.lease;
  }

  /** Builds the service and the lease bucket. */
  static async create(services: ServiceManager): Promise<SchedulerService> {
    const { config } = services;
    const [connection, jobs, schedules, delayed, kv] = await Promise.all([
      services.get(ConnectionService),
      services.get(JobService),
      services.get(ScheduleService),
      services.get(DelayedJobStore),
      services.get(KVStoreService),
    ]);
    const bucket = await kv.bucket<LeaseRecord>(wireNames(config.prefix).schedulerBucket, {
      replicas: config.streams.replicas,
    });
    return new SchedulerService(services, {
      connection,
      jobs,
      schedules,
      delayed,
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
      jobs: this.#jobs,
      schedules: this.#schedules,
      delayed: this.#delayed,
      clock: this.#clock,
      // a firing later than two leases was missed (downtime), not merely late (a failover)
      missedAfterMs: 2 * this.#leaseMs,
    });
  }
}

type LeaseSource = (holder: string) => LeaderLease;

interface SchedulerDeps {
  readonly connection: ConnectionService;
  readonly jobs: JobService;
  readonly schedules: ScheduleService;
  readonly delayed: DelayedJobStore;
  readonly lease: LeaseSource;
}

interface ReplicaDeps {
  readonly connection: ConnectionService;
  /** The configured server URLs, for errors. */
  readonly servers: readonly string[];
  readonly jobs: JobService;
  readonly schedules: ScheduleService;
  readonly delayed: DelayedJobStore;
  readonly clock: Clock;
  readonly missedAfterMs: number;
}

/**
 * One scheduler replica. While it leads it keeps an index of what is due next, fed by the
 * delayed stream and by changes to the schedules bucket, and fires what comes due; a step
 * costs what is due, not what is pending.
 */
export class SchedulerReplica {
  /** The replica's id, as the lease shows it. */
  readonly id: string;
  readonly #log: TaskLogger;
  readonly #lease: LeaderLease;
  readonly #deps: ReplicaDeps;
  readonly #delayedDue = new DueIndex<number>();
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
      delayed: this.#delayedDue.size,
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
    const { schedules, delayed } = this.#deps;
    const feeds = await Promise.all([
      schedules.bucket.follow(">", (key, schedule) => this.#indexSchedule(key, schedule)),
      delayed.follow((seq, runAt) => {
        this.#delayedDue.set(seq, runAt);
        this.#poke(runAt);
      }),
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
      this.#delayedDue.clear();
      this.#schedulesDue.clear();
      this.#log.info(`naq scheduler ${this.id}: stopped leading`);
    }
  }

  /** Fires what is due now, while still leading; false when nothing was due. */
  async #step(leading: AbortSignal): Promise<boolean> {
    const now = this.#deps.clock.now();
    const jobs = this.#delayedDue.takeDue(now, BATCH);
    const schedules = this.#schedulesDue.takeDue(now, BATCH);
    if (jobs.length === 0 && schedules.length === 0) return false;
    // once leadership is lost, the rest of the batch is the next leader's
    const whileLeading = <T>(fire: (item: T) => Promise<void>) => async (item: T) => {
      if (!leading.aborted) await fire(item);
    };
    await Promise.all([
      inWindows(jobs, WINDOW, whileLeading((seq: number) => this.#promote(seq))),
      inWindows(schedules, WINDOW, whileLeading((key: string) => this.#fire(key))),
    ]);
    return true;
  }

  async #idle(leading: AbortSignal): Promise<void> {
    const now = this.#deps.clock.now();
    const next = Math.min(
      this.#delayedDue.next() ?? Infinity,
      this.#schedulesDue.next() ?? Infinity,
    );
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

  async #promote(seq: number): Promise<void> {
    try {
      const message = await this.#deps.delayed.read(seq);
      // gone: cancelled, or promoted by an earlier leader
      if (message) await this.#deps.jobs.promote(message, `scheduler ${this.id}`);
    } catch (err) {
      this.#log.warn(`naq scheduler ${this.id}: could not enqueue a delayed job, retrying`, {
        error: String(err),
      });
      this.#delayedDue.set(seq, this.#deps.clock.now() + RETRY_MS);
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
