/**
 * Durations as people write them ("500ms", "30s", "5m", "2h", "1d", "1h30m") and as
 * naq stores them (milliseconds).
 *
 * Written text always carries a unit: `"5"` is refused rather than read as 5 ms, which no one
 * means (on the command line, in a file or in an environment variable). A JavaScript number
 * is milliseconds, as everywhere in naq's API (options, and `timeoutMs` or timestamps in
 * records).
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * True when `input` is text that is a number without a unit, such as `"5"`: not a duration.
 *
 * @param input what was written
 * @returns whether it is digits alone
 */
export function isBareNumber(input: unknown): boolean {
  return typeof input === "string" && BARE_NUMBER.test(input.trim());
}

/**
 * What is wrong with `input` as a written duration, as a sentence that shows the fix; a bare
 * number is shown with a unit added, such as `5s` for `5`.
 *
 * @param input the value that is not a duration
 * @returns such as `a number needs a unit: write "5s" for 5 seconds, or "5ms"`
 */
export function durationProblem(input: unknown): string {
  if (typeof input === "number" && !(Number.isFinite(input) && input >= 0)) {
    return `milliseconds must be a finite number, 0 or more`;
  }
  const text = typeof input === "number" ? String(input) : String(input).trim();
  if (isBareNumber(text)) {
    return `a number needs a unit: write "${text}s" for ${text} seconds, or "${text}ms" ` +
      `(also m, h, d)`;
  }
  return `write a number followed by ms, s, m, h or d, such as "500ms", "30s", "5m" or "1h30m"`;
}

/**
 * Parses a duration such as `"30s"`, `"5m"`, `"1h30m"`, or a number of milliseconds.
 *
 * @param input a duration string with its unit, or a non-negative number of milliseconds
 * @returns the duration in milliseconds, or `undefined` when `input` is not a duration (text
 *   without a unit, such as `"5"`, is not)
 */
export function tryParseDuration(input: string | number): number | undefined {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 ? input : undefined;
  }
  if (typeof input !== "string") return undefined;
  const text = input.trim();
  if (text === "" || isBareNumber(text)) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== at) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}

/**
 * Parses a duration, throwing when it is not one.
 *
 * @param input a duration string such as `"30s"`, or a number of milliseconds
 * @returns the duration in milliseconds
 * @throws {RangeError} when `input` is not a duration, text without a unit (`"5"`) included
 *
 * @example Parse a duration
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1h30m"); // 5_400_000
 * ```
 */
export function parseDuration(input: string | number): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new RangeError(
      `Cannot parse duration ${showDuration(input)}: ${durationProblem(input)}`,
    );
  }
  return ms;
}

/**
 * A duration as given, for an error: text quoted, a number as written (JSON would show NaN
 * and Infinity as `null`).
 */
export function showDuration(input: unknown): string {
  return typeof input === "number" ? String(input) : JSON.stringify(input);
}

/**
 * Formats milliseconds as the shortest duration string that parses back to the same value.
 *
 * @param ms a non-negative number of milliseconds
 * @returns such as `"1h30m"`, `"250ms"` or `"0s"`
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
