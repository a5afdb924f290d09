import type { Clock } from "../../clock.ts";
import { type WireNames, wireNames } from "../../core/names.ts";
import {
  checkScheduleId,
  checkTiming,
  firingJobId,
  firstInstant,
  type MissedPolicy,
  planFiring,
  type ScheduledJobOptions,
  type ScheduleLimits,
  type ScheduleRecord,
  type ScheduleTiming,
} from "../../core/schedule.ts";
import { ErrorCode, NaqError } from "../../errors.ts";
import { JobService } from "./jobs/job_service.ts";
import { withFireSpan } from "../../tracing/job_spans.ts";
import { type JsonBucket, KVStoreService, type Versioned } from "../core/kv_store_service.ts";
import type { ServiceManager } from "../core/service_manager.ts";

/** What a schedule is: everything `schedule()` and `updateSchedule()` set. */
export interface ScheduleDefinition extends ScheduleLimits {
  /** The task its jobs run. */
  readonly task: string;
  /** The payload every job gets. */
  readonly payload: unknown;
  /** When it fires. */
  readonly timing: ScheduleTiming;
  /** Firings missed while no scheduler ran: one job (`once`, the default) or none (`skip`). */
  readonly missed?: MissedPolicy;
  /** Options of every job it fires, over the queue's. */
  readonly jobOptions?: ScheduledJobOptions;
}

/** Changes for `update()`: any part of a definition. */
export type ScheduleChanges = Partial<ScheduleDefinition>;

const DEFINITION_FIELDS = [
  "task",
  "payload",
  "timing",
  "repeat",
  "startAt",
  "endAt",
  "missed",
  "jobOptions",
] as const;

const TIMING_FIELDS = ["timing", "repeat", "startAt", "endAt"] as const;

/**
 * Schedules from the producer's side: create, read, list, pause, resume, update, remove;
 * and the step a scheduler takes when one is due, {@linkcode fire}. Every change is a
 * compare-and-swap on the schedule's key, so a firing and an edit never overwrite each other.
 */
export class ScheduleService {
  readonly #bucket: JsonBucket<ScheduleRecord>;
  readonly #jobs: JobService;
  readonly #clock: Clock;
  readonly #names: WireNames;

  private constructor(
    services: ServiceManager,
    bucket: JsonBucket<ScheduleRecord>,
    jobs: JobService,
  ) {
    this.#bucket = bucket;
    this.#jobs = jobs;
    this.#clock = services.clock;
    this.#names = wireNames(services.config.prefix);
  }

  /** Builds the service and its schedules bucket. */
  static async create(services: ServiceManager): Promise<ScheduleService> {
    const { config } = services;
    const [kv, jobs] = await Promise.all([
      services.get(KVStoreService),
      services.get(JobService),
    ]);
    const bucket = await kv.bucket<ScheduleRecord>(wireNames(config.prefix).schedulesBucket, {
      replicas: config.streams.replicas,
    });
    return new ScheduleService(services, bucket, jobs);
  }

  /** The bucket the schedules live in; a scheduler follows its changes. */
  get bucket(): JsonBucket<ScheduleRecord> {
    return this.#bucket;
  }

  /**
   * Creates the schedule, or, when one with this id exists, replaces its definition: so an
   * application can declare its schedules at every start. An unchanged definition leaves the
   * schedule as it is, firings and pause included.
   *
   * @throws {TypeError} for a bad id
   * @throws {RangeError} for a bad timing, limits or job options
   */
  async upsert(queue: string, id: string, definition: ScheduleDefinition): Promise<ScheduleRecord> {
    const key = this.#key(queue, id);
    const now = this.#clock.now();
    const wanted = this.#checked({
      id,
      queue,
      task: definition.task,
      payload: definition.payload ?? null,
      timing: definition.timing,
      missed: definition.missed ?? "once",
      jobOptions: definition.jobOptions ?? {},
      ...limitsOf(definition),
      paused: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
      nextRunAt: null,
      firings: 0,
    });
    while (true) {
      const current = await this.#bucket.get(key);
      if (!current) {
        const created = { ...wanted, nextRunAt: firstInstant(wanted, now) };
        if (await this.#bucket.create(key, created) !== null) return created;
        continue;
      }
      if (sameDefinition(current.value, wanted)) return current.value;
      const replaced = await this.#change(key, current, wanted, now);
      if (replaced) return replaced;
    }
  }

  /** The schedule, or `null` when there is none with this id. */
  async get(queue: string, id: string): Promise<ScheduleRecord | null> {
    return (await this.#bucket.get(this.#key(queue, id)))?.value ?? null;
  }

  /** The queue's schedules (every queue's when `queue` is omitted), by id. */
  async list(queue?: string): Promise<ScheduleRecord[]> {
    const entries = await this.#bucket.values(queue === undefined ? ">" : `${queue}.*`);
    return entries.map(({ value }) => value)
      .sort((a, b) => a.queue.localeCompare(b.queue) || a.id.localeCompare(b.id));
  }

  /**
   * Changes the schedule's definition. Refused when it was changed through the API since
   * `version` (when given), or by another call while this one ran: a concurrent update is
   * refused, never lost. Firings meanwhile do not count as changes.
   *
   * @throws {NaqError} with code `NOT_FOUND` or `CONFLICT`
   */
  async update(
    queue: string,
    id: string,
    changes: ScheduleChanges,
    options: { readonly version?: number } = {},
  ): Promise<ScheduleRecord> {
    const key = this.#key(queue, id);
    let expected = options.version;
    while (true) {
      const current = await this.#bucket.get(key);
      if (!current) throw notFound(queue, id);
      expected ??= current.value.version;
      if (current.value.version !== expected) throw conflict(queue, id, expected, current.value);
      const defined = Object.fromEntries(
        DEFINITION_FIELDS.filter((field) => field in changes).map((
          field,
        ) => [field, changes[field]]),
      );
      const wanted = this.#checked({ ...current.value, ...defined });
      const changed = await this.#change(key, current, wanted, this.#clock.now());
      if (changed) return changed;
    }
  }

  /**
   * Pauses the schedule: it fires nothing until resumed.
   *
   * @throws {NaqError} with code `NOT_FOUND`
   */
  async pause(queue: string, id: string): Promise<ScheduleRecord> {
    return await this.#edit(queue, id, (schedule) => ({ ...schedule, paused: true }));
  }

  /**
   * Resumes a paused schedule from now: instants passed while paused do not fire.
   *
   * @throws {NaqError} with code `NOT_FOUND`
   */
  async resume(queue: string, id: string): Promise<ScheduleRecord> {
    const now = this.#clock.now();
    return await this.#edit(
      queue,
      id,
      (schedule) =>
        schedule.paused
          ? { ...schedule, paused: false, nextRunAt: firstInstant(schedule, now) }
          : schedule,
    );
  }

  /** Removes the schedule; jobs it fired stay. False when there was none. */
  async remove(queue: string, id: string): Promise<boolean> {
    const key = this.#key(queue, id);
    if (!await this.#bucket.get(key)) return false;
    await this.#bucket.delete(key);
    return true;
  }

  /**
   * Takes one step of a due schedule, for a scheduler: enqueues the job of its due instant
   * (unless missed under `skip`), then advances it by compare-and-swap. The job's id is
   * derived from the schedule and the instant, so repeating the step enqueues nothing more.
   *
   * @param key the schedule's key in the bucket
   * @param missedAfterMs a firing later than this counts as missed
   * @returns the schedule as it is now, `null` once removed
   */
  async fire(key: string, missedAfterMs: number): Promise<ScheduleRecord | null> {
    while (true) {
      const current = await this.#bucket.get(key);
      if (!current) return null;
      const schedule = current.value;
      const plan = planFiring(schedule, this.#clock.now(), missedAfterMs);
      if (!plan) return schedule;
      let lastJobId = schedule.lastJobId;
      if (plan.fireFor !== null) {
        lastJobId = firingJobId(schedule, plan.fireFor);
        const request = {
          task: schedule.task,
          payload: schedule.payload,
          jobId: lastJobId,
          ...schedule.jobOptions,
          schedule: { id: schedule.id, at: plan.fireFor },
        };
        // the job's trace starts at its firing
        await withFireSpan(
          schedule.queue,
          schedule.id,
          () => this.#jobs.enqueue(schedule.queue, request),
        );
      }
      const advanced: ScheduleRecord = { ...schedule, ...plan.next, lastJobId };
      // a lost swap: an edit came in; the job is enqueued, and the next step sees the edit
      if (await this.#bucket.update(key, advanced, current.revision) !== null) return advanced;
    }
  }

  #key(queue: string, id: string): string {
    return this.#names.scheduleKey(queue, checkScheduleId(id));
  }

  /** Checks what a definition sets, so nothing is stored that could not fire. */
  #checked(schedule: ScheduleRecord): ScheduleRecord {
    if (typeof schedule.task !== "string" || schedule.task === "") {
      throw new TypeError(`Cannot schedule ${schedule.id} without a task name`);
    }
    if (schedule.missed !== "once" && schedule.missed !== "skip") {
      throw new RangeError(
        `Cannot schedule ${schedule.id} with missed: ${JSON.stringify(schedule.missed)}; ` +
          `use "once" or "skip"`,
      );
    }
    const { repeat, startAt, endAt } = schedule;
    if (repeat !== undefined && (!Number.isInteger(repeat) || repeat < 1)) {
      throw new RangeError(
        `Cannot schedule ${schedule.id} with repeat ${repeat}: use a whole number from 1`,
      );
    }
    for (const [name, at] of [["startAt", startAt], ["endAt", endAt]] as const) {
      if (at !== undefined && !Number.isFinite(at)) {
        throw new RangeError(`Cannot schedule ${schedule.id}: ${name} is not a valid time`);
      }
    }
    if (startAt !== undefined && endAt !== undefined && endAt < startAt) {
      throw new RangeError(
        `Cannot schedule ${schedule.id}: endAt (${new Date(endAt).toISOString()}) is before ` +
          `startAt (${new Date(startAt).toISOString()})`,
      );
    }
    // a job as this schedule will fire it, so that nothing is stored that could never fire
    this.#jobs.checkEnqueue(schedule.queue, {
      task: schedule.task,
      payload: schedule.payload,
      jobId: firingJobId(schedule, schedule.createdAt),
      ...schedule.jobOptions,
      schedule: { id: schedule.id, at: schedule.createdAt },
    });
    return { ...schedule, timing: checkTiming(schedule.timing) };
  }

  /**
   * Stores `wanted` as a new version of the schedule, with its next instant computed afresh
   * from `now`; `null` when the key changed since `current` was read.
   */
  async #change(
    key: string,
    current: Versioned<ScheduleRecord>,
    wanted: ScheduleRecord,
    now: number,
  ): Promise<ScheduleRecord | null> {
    const definition = {
      ...current.value,
      ...Object.fromEntries(DEFINITION_FIELDS.map((field) => [field, wanted[field]])),
    };
    // a new timing or new limits start afresh from now; other edits keep the instant due
    const retimed = TIMING_FIELDS.some((field) =>
      JSON.stringify(current.value[field]) !== JSON.stringify(definition[field])
    );
    const changed: ScheduleRecord = {
      ...definition,
      version: current.value.version + 1,
      updatedAt: now,
      nextRunAt: retimed ? firstInstant(definition, now) : current.value.nextRunAt,
    };
    return await this.#bucket.update(key, changed, current.revision) === null ? null : changed;
  }

  async #edit(
    queue: string,
    id: string,
    edit: (schedule: ScheduleRecord) => ScheduleRecord,
  ): Promise<ScheduleRecord> {
    const key = this.#key(queue, id);
    while (true) {
      const current = await this.#bucket.get(key);
      if (!current) throw notFound(queue, id);
      const edited = edit(current.value);
      if (edited === current.value) return edited;
      const changed = {
        ...edited,
        version: current.value.version + 1,
        updatedAt: this.#clock.now(),
      };
      if (await this.#bucket.update(key, changed, current.revision) !== null) return changed;
    }
  }
}

function limitsOf(limits: ScheduleLimits): ScheduleLimits {
  return Object.fromEntries(
    (["repeat", "startAt", "endAt"] as const)
      .filter((field) => limits[field] !== undefined)
      .map((field) => [field, limits[field]]),
  );
}

function sameDefinition(a: ScheduleRecord, b: ScheduleRecord): boolean {
  return DEFINITION_FIELDS.every((field) => JSON.stringify(a[field]) === JSON.stringify(b[field]));
}

function notFound(queue: string, id: string): NaqError {
  return new NaqError(ErrorCode.NotFound, `Schedule ${id} is not in queue ${queue}`);
}

function conflict(queue: string, id: string, expected: number, current: ScheduleRecord) {
  return new NaqError(
    ErrorCode.Conflict,
    `Schedule ${id} in queue ${queue} was changed (now version ${current.version}, expected ` +
      `${expected}) while this update was made; read it again and reapply the change`,
  );
}
