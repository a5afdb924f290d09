/**
 * Durations in options, as callers write them: milliseconds, or text such as `"30s"`, in every
 * option of `defineTask()`, `enqueue()`, `schedule()`, `result()` and `new Worker()`; in
 * milliseconds from here on.
 *
 * @module
 */
import type { BackoffInput, BackoffSettings, DurationInput } from "./config/types.ts";
import { durationProblem, showDuration, tryParseDuration } from "./core/duration.ts";

/**
 * The milliseconds of a duration option.
 *
 * @param value milliseconds, or a duration such as `"30s"`
 * @param option the option's name, for the error, such as `timeout` or `timeout of task "x"`
 * @returns whole milliseconds
 * @throws {RangeError} naming the option when `value` is not a duration (text without a unit,
 *   such as `"5"`, is not)
 */
export function durationMs(value: DurationInput, option: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new RangeError(
      `Cannot parse duration ${showDuration(value)} (option ${option}): ${durationProblem(value)}`,
    );
  }
  return Math.round(ms);
}

/**
 * Backoff as written, in milliseconds: only the fields given, so that one not given keeps the
 * task's, or the queue's.
 *
 * @param input the backoff option
 * @param whose what the option belongs to, for errors, such as ` of task "x"`
 * @throws {RangeError} naming the field when a delay is not a duration
 */
export function backoffMs(input: BackoffInput, whose = ""): Partial<BackoffSettings> {
  const ms = (value: DurationInput | undefined, field: string) =>
    value === undefined ? undefined : durationMs(value, `backoff.${field}${whose}`);
  const settings = {
    type: input.type,
    delay: ms(input.delay, "delay"),
    maxDelay: ms(input.maxDelay, "maxDelay"),
    jitter: input.jitter,
    delays: input.delays?.map((delay, i) => ms(delay, `delays[${i}]`)!),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
