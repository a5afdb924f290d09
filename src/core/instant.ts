/**
 * Instants as callers give them: a Date, ms since the epoch, or an ISO 8601 string.
 *
 * @module
 */

/** An instant: a Date, ms since the epoch, or an ISO 8601 string such as `2026-12-01T09:00:00Z`. */
export type InstantInput = Date | number | string;

/**
 * Reads an instant.
 *
 * @param what what the instant is for, for the error message
 * @returns ms since the epoch
 * @throws {RangeError} when it is not a valid time
 */
export function parseInstant(value: InstantInput, what: string): number {
  const ms = value instanceof Date
    ? value.getTime()
    : typeof value === "number"
    ? value
    : typeof value === "string"
    ? Date.parse(value)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new RangeError(
      `Cannot use ${JSON.stringify(value)} as ${what}: give a Date, ms since the epoch, or an ` +
        `ISO 8601 time such as "2026-12-01T09:00:00Z"`,
    );
  }
  return ms;
}
