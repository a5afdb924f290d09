/**
 * Where a replay of history starts, as callers give it: an instant, or how long ago.
 *
 * @module
 */
import { isBareNumber, tryParseDuration } from "./duration.ts";
import { MAX_INSTANT_MS, parseInstant } from "./instant.ts";

/**
 * Where history starts: a Date, ms since the epoch, an ISO 8601 string such as
 * `2026-12-01T09:00:00Z`, or a duration string such as `"1h"`, meaning that long ago.
 */
export type SinceInput = Date | number | string;

/**
 * Reads where history starts.
 *
 * @param input a Date, ms since the epoch, an ISO 8601 time, or a duration ago (`"90m"`)
 * @param now the current time, in ms since the epoch, that a duration counts back from
 * @param what what the instant is for, for the error message
 * @returns ms since the epoch
 * @throws {RangeError} when it is none of these: text without a unit (`"5"`) included, which
 *   is neither a time nor a duration
 *
 * @example A duration counts back from now
 * ```ts
 * import { parseSince } from "./since.ts";
 * parseSince("1h", Date.UTC(2026, 0, 5, 12)); // Date.UTC(2026, 0, 5, 11)
 * ```
 */
export function parseSince(input: SinceInput, now: number, what = "since"): number {
  if (typeof input !== "string") return parseInstant(input, what);
  if (isBareNumber(input)) {
    const text = input.trim();
    throw new RangeError(
      `Cannot use ${JSON.stringify(input)} as ${what}: a number needs a unit to be a duration ` +
        `ago ("${text}s", "${text}m", "${text}h"), or give an ISO 8601 time such as ` +
        `"2026-12-01T09:00:00Z"`,
    );
  }
  const ago = tryParseDuration(input);
  if (ago === undefined) {
    try {
      return parseInstant(input, what);
    } catch {
      throw new RangeError(
        `Cannot use ${JSON.stringify(input)} as ${what}: give a duration ago such as "30m" ` +
          `or "1h30m", an ISO 8601 time such as "2026-12-01T09:00:00Z", a Date or ms since ` +
          `the epoch`,
      );
    }
  }
  if (now - ago < -MAX_INSTANT_MS) {
    throw new RangeError(
      `Cannot use ${JSON.stringify(input)} as ${what}: it starts before the earliest instant ` +
        `a Date holds; give a shorter duration`,
    );
  }
  return now - ago;
}
