/**
 * Schedules: recurring jobs, as plain data, and the arithmetic of when they fire.
 *
 * @module
 */
import { Cron } from "croner";
import type { BackoffSettings } from "./settings.ts";

/** When a schedule fires: a cron pattern in a time zone, or a fixed interval. */
export type ScheduleTiming =
  | { readonly cron: string; readonly tz?: string }
  | { readonly every: number };

/**
 * What happens to firings missed while no scheduler ran: `once` fires one job for them all,
 * `skip` fires none. Either way the schedule then resumes at its next instant.
 */
export type MissedPolicy = "once" | "skip";

/** Options of a schedule's jobs, over the queue's, resolved when each job is enqueued. */
export interface ScheduledJobOptions {
  /** Attempts in all. */
  readonly attempts?: number;
  /** Backoff between attempts. */
  readonly backoff?: Partial<BackoffSettings>;
  /** Fail an attempt that runs longer than this many ms. */
  readonly timeoutMs?: number;
}

/** Bounds on a schedule's firings. */
export interface ScheduleLimits {
  /** Fire at most this many times in all. */
  readonly repeat?: number;
  /** Fire at no instant before this (ms since the epoch). */
  readonly startAt?: number;
  /** Fire at no instant after this (ms since the epoch). */
  readonly endAt?: number;
}

/** A stored schedule, as `getSchedule()` returns it. */
export interface ScheduleRecord extends ScheduleLimits {
  /** The schedule's id, unique in its queue. */
  readonly id: string;
  /** The queue its jobs go to. */
  readonly queue: string;
  /** The task its jobs run. */
  readonly task: string;
  /** The payload every job gets. */
  readonly payload: unknown;
  /** When it fires. */
  readonly timing: ScheduleTiming;
  /** What happens to firings missed while no scheduler ran. */
  readonly missed: MissedPolicy;
  /** The options of every job it fires, over the queue's. */
  readonly jobOptions: ScheduledJobOptions;
  /** Paused schedules fire nothing until resumed. */
  readonly paused: boolean;
  /**
   * Counts the changes made through the API (not firings): an update made from an older
   * version is refused.
   */
  readonly version: number;
  /** When it was created, in ms since the epoch; also tells its jobs from an earlier one's. */
  readonly createdAt: number;
  /** When it was last changed through the API. */
  readonly updatedAt: number;
  /** The next instant it fires at; `null` once it has fired for the last time. */
  readonly nextRunAt: number | null;
  /** How many jobs it has fired. */
  readonly firings: number;
  /** The instant of its latest firing. */
  readonly lastRunAt?: number;
  /** The id of its latest job. */
  readonly lastJobId?: string;
}

const SCHEDULE_ID = /^[A-Za-z0-9_=-]{1,100}$/;

/**
 * Checks a schedule id given by a caller.
 *
 * @throws {TypeError} when it has characters a KV key cannot hold, or is too long
 */
export function checkScheduleId(id: string): string {
  if (typeof id !== "string" || !SCHEDULE_ID.test(id)) {
    throw new TypeError(
      `Cannot use ${JSON.stringify(id)} as a schedule id: use 1 to 100 letters, digits, ` +
        `"_", "-" or "=" (ids are NATS KV keys, and name the jobs the schedule fires)`,
    );
  }
  return id;
}

/**
 * Checks a timing before it is stored.
 *
 * @throws {RangeError} for a cron pattern croner cannot read, an unknown time zone, or an
 *   interval that is not a positive whole number of ms
 */
export function checkTiming(timing: ScheduleTiming): ScheduleTiming {
  if (typeof timing !== "object" || timing === null) {
    throw new RangeError("Cannot schedule without a timing: give { cron, tz? } or { every }");
  }
  if ("every" in timing) {
    if (!Number.isInteger(timing.every) || timing.every < 1) {
      throw new RangeError(
        `Cannot schedule every ${timing.every} ms: use a positive whole number of ms, or a ` +
          `duration such as "30s"`,
      );
    }
    return { every: timing.every };
  }
  if (typeof timing.cron !== "string") {
    throw new RangeError("Cannot schedule without a timing: give { cron, tz? } or { every }");
  }
  const what = `Cannot schedule with cron ${JSON.stringify(timing.cron)}` +
    (timing.tz ? ` in time zone ${JSON.stringify(timing.tz)}` : "");
  if (timing.tz !== undefined && !isTimeZone(timing.tz)) {
    throw new RangeError(
      `${what}: it is not a time zone; use an IANA name such as "Europe/Paris", ` +
        `"America/New_York" or "UTC"`,
    );
  }
  try {
    // croner checks the time zone only when it computes a run; any fixed instant will do,
    // and keeps core/ from reading the clock
    new Cron(timing.cron, { timezone: timing.tz }).nextRun(new Date(0));
  } catch (err) {
    // croner's own words, without its class names and its "Original error: …" chains
    const reason = (err as Error).message.split(" Original error:")[0]
      .replace(/^Cron[A-Za-z]*: /, "");
    throw new RangeError(
      `${what}: ${reason}; write five fields (minute hour day month weekday), or six with ` +
        `seconds first, such as "0 9 * * 1-5"`,
    );
  }
  return timing.tz === undefined ? { cron: timing.cron } : { cron: timing.cron, tz: timing.tz };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first instant strictly after `after` at which the timing fires. An interval counts
 * from `anchor`, never from the last firing, so it does not drift.
 */
export function nextInstant(timing: ScheduleTiming, anchor: number, after: number): number {
  if ("every" in timing) {
    if (after < anchor) return anchor;
    return anchor + (Math.floor((after - anchor) / timing.every) + 1) * timing.every;
  }
  const next = new Cron(timing.cron, { timezone: timing.tz }).nextRun(new Date(after));
  return next === null ? Infinity : next.getTime();
}

/** The instant an interval counts from: the start, or else the creation. */
function anchorOf(schedule: Pick<ScheduleRecord, "startAt" | "createdAt">): number {
  return schedule.startAt ?? schedule.createdAt;
}

/**
 * The first instant at or after `from` the schedule may fire at, within its limits;
 * `null` when none is left.
 */
export function firstInstant(
  schedule: Pick<
    ScheduleRecord,
    "timing" | "startAt" | "endAt" | "repeat" | "createdAt" | "firings"
  >,
  from: number,
): number | null {
  const { timing, startAt } = schedule;
  let at: number;
  if ("every" in timing) {
    // from a start, the first firing is the start itself; from creation, one interval later
    at = startAt !== undefined && from <= startAt
      ? startAt
      : nextInstant(timing, anchorOf(schedule), from);
  } else {
    at = nextInstant(timing, 0, Math.max(from, startAt ?? -Infinity) - 1);
  }
  return within(schedule, at, schedule.firings);
}

function within(
  schedule: Pick<ScheduleLimits, "endAt" | "repeat">,
  at: number,
  firings: number,
): number | null {
  if (!Number.isFinite(at)) return null;
  if (schedule.endAt !== undefined && at > schedule.endAt) return null;
  if (schedule.repeat !== undefined && firings >= schedule.repeat) return null;
  return at;
}

/** What a scheduler does with a schedule whose `nextRunAt` has come. */
export interface Firing {
  /** Fire one job for this instant; `null` to fire none (missed firings under `skip`). */
  readonly fireFor: number | null;
  /** What the schedule becomes once that job is enqueued. */
  readonly next: Pick<ScheduleRecord, "nextRunAt" | "firings" | "lastRunAt">;
}

/**
 * Plans one step of a due schedule. A firing later than `missedAfterMs` counts as missed,
 * and then every firing up to `now` is treated by the schedule's `missed` policy, so that
 * downtime yields one job or none, not a burst. A firing late by less (a failover, a busy
 * tick) fires as usual, and the next step catches up the one after it.
 *
 * @returns `null` when nothing is due at `now`
 */
export function planFiring(
  schedule: ScheduleRecord,
  now: number,
  missedAfterMs: number,
): Firing | null {
  const due = schedule.nextRunAt;
  if (due === null || due > now || schedule.paused) return null;
  const missed = now - due > missedAfterMs;
  const fireFor = missed && schedule.missed === "skip" ? null : due;
  const firings = schedule.firings + (fireFor === null ? 0 : 1);
  const after = missed ? now : due;
  const nextAt = nextInstant(schedule.timing, anchorOf(schedule), after);
  return {
    fireFor,
    next: {
      nextRunAt: within(schedule, nextAt, firings),
      firings,
      lastRunAt: fireFor ?? schedule.lastRunAt,
    },
  };
}

/**
 * The id of the job a schedule fires for `at`: the same on every scheduler replica, so that
 * a firing repeated across a failover enqueues one job; and different for a schedule
 * removed and created again under the same id.
 */
export function firingJobId(schedule: Pick<ScheduleRecord, "id" | "createdAt">, at: number) {
  return `${schedule.id}-${schedule.createdAt.toString(36)}-${at.toString(36)}`;
}
