/**
 * Instants as callers give them: a Date, ms since the epoch, or an ISO 8601 string.
 *
 * @module
 */

/** An instant: a Date, ms since the epoch, or an ISO 8601 string such as `2026-12-01T09:00:00Z`. */
export type InstantInput = Date | number | string;

/**
 * The farthest instant a Date holds, in ms either side of the epoch: 8.64e15, 100 million
 * days, which is +275760-09-13T00:00:00Z (and -271821-04-20T00:00:00Z before it).
 */
export const MAX_INSTANT_MS = 8.64e15;

// the ISO 8601 forms Date.parse reads the same everywhere; it also takes "5 5" or "Dec 1" in
// forms of its own, which are not meant as instants
const ISO_8601 =
  /^([+-]?\d{4,6})-(\d\d)-(\d\d)(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/i;

/** An ISO 8601 time in ms; NaN for another form, or a day its month does not have. */
function parseIso(text: string): number {
  return ISO_8601.test(text) && noSuchDay(text) === undefined ? Date.parse(text) : NaN;
}

/**
 * Why an ISO 8601 date is no day, when its month has none such: Date.parse reads
 * "2026-02-30" as March 2, a typo taken for a time. Undefined otherwise.
 */
function noSuchDay(text: string): string | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1, 4).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined) return `there is no month ${match[2]}`;
  return day >= 1 && day <= days ? undefined : `${match[1]}-${match[2]} has no day ${match[3]}`;
}

const LIMIT = "8.64e15 ms either side of the epoch (+275760-09-13), the farthest a Date holds";

/**
 * Reads an instant.
 *
 * @param what what the instant is for, for the error message
 * @returns ms since the epoch
 * @throws {RangeError} when it is not a valid time, or is past what a Date holds
 */
export function parseInstant(value: InstantInput, what: string): number {
  const ms = value instanceof Date
    ? value.getTime()
    : typeof value === "number"
    ? value
    : typeof value === "string"
    ? parseIso(value.trim())
    : NaN;
  if (typeof value === "number" && Number.isFinite(ms) && Math.abs(ms) > MAX_INSTANT_MS) {
    throw new RangeError(`Cannot use ${value} ms as ${what}: give at most ${LIMIT}`);
  }
  if (!Number.isFinite(ms)) {
    const shown = value instanceof Date ? "an invalid Date" : typeof value === "number" // JSON would show NaN as null
      ? String(value)
      : JSON.stringify(value) ?? value;
    const day = typeof value === "string" ? noSuchDay(value.trim()) : undefined;
    throw new RangeError(
      `Cannot use ${shown} as ${what}: ${
        day ? `${day}; ` : ""
      }give a Date, ms since the epoch, or an ` +
        `ISO 8601 time such as "2026-12-01T09:00:00Z"`,
    );
  }
  return ms;
}

/**
 * The instant `delayMs` after `now`.
 *
 * @param what what the delay is for, for the error message
 * @returns ms since the epoch
 * @throws {RangeError} when that instant is past what a Date holds
 */
export function instantAfter(now: number, delayMs: number, what: string): number {
  const at = now + delayMs;
  if (!(Math.abs(at) <= MAX_INSTANT_MS)) {
    throw new RangeError(
      `Cannot use ${delayMs} ms as ${what}: it ends past ${LIMIT}; give at most ` +
        `${MAX_INSTANT_MS - now} ms from now`,
    );
  }
  return at;
}
