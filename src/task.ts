/**
 * Tasks: named handlers that workers run. A worker runs only tasks registered with it by
 * name; no code is ever loaded from a message.
 *
 * @module
 */
import type { BackoffInput, BackoffSettings, DurationInput } from "./config/types.ts";
import { backoffMs, durationMs } from "./duration_options.ts";

/** Where a handler writes what it wants to say about its job. */
export interface TaskLogger {
  /** Something worth knowing. */
  info(message: string, data?: Record<string, unknown>): void;
  /** Something that may need attention. */
  warn(message: string, data?: Record<string, unknown>): void;
  /** Something that went wrong. */
  error(message: string, data?: Record<string, unknown>): void;
}

/** What a handler gets besides its payload. */
export interface TaskContext {
  /** The job's id. */
  readonly jobId: string;
  /** The queue it came from. */
  readonly queue: string;
  /** This attempt, 1 on the first run. */
  readonly attempt: number;
  /** Aborted on timeout, cancel or worker shutdown: stop work and return or throw. */
  readonly signal: AbortSignal;
  /** Stores a progress value (anything JSON) and emits a `progress` event. */
  progress(value: unknown): Promise<void>;
  /** A logger that tags lines with the job. */
  readonly log: TaskLogger;
}

/** A task's handler: takes the payload, returns the result (anything JSON) or throws. */
export type TaskHandler<P, R> = (payload: P, ctx: TaskContext) => R | Promise<R>;

/**
 * Defaults for jobs of a task, over the queue's settings, under `enqueue()` options; written
 * as `enqueue()` options are.
 */
export interface TaskOptions {
  /** Attempts in all. */
  readonly attempts?: number;
  /** Backoff between attempts; durations in ms or such as `"5s"`. */
  readonly backoff?: BackoffInput;
  /** Fail an attempt that runs longer than this: ms, or a duration such as `"30s"`. */
  readonly timeout?: DurationInput;
  /**
   * Fail an attempt that runs longer than this many ms.
   *
   * @deprecated Use `timeout`, which takes ms or a duration such as `"30s"`, as `enqueue()`
   *   does.
   */
  readonly timeoutMs?: number;
}

/** A task's defaults for its jobs as {@linkcode defineTask} read them: durations in ms. */
export interface TaskDefaults {
  /** Attempts in all. */
  readonly attempts?: number;
  /** Backoff between attempts, in ms; only the fields the task sets. */
  readonly backoff?: Partial<BackoffSettings>;
  /** Fail an attempt that runs longer than this many ms. */
  readonly timeoutMs?: number;
}

/** A named, typed task. */
export interface Task<P = unknown, R = unknown> {
  /** The name jobs refer to it by. */
  readonly name: string;
  /** Runs one attempt. */
  readonly handler: TaskHandler<P, R>;
  /** Defaults for its jobs, in ms. */
  readonly options: TaskDefaults;
}

const TASK_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Defines a task.
 *
 * @param name unique among a worker's tasks: letters, digits, `_`, `.`, `:` and `-`
 * @param handler runs one attempt; what it returns is the job's result
 * @param options defaults for its jobs: `attempts`, `backoff`, `timeout`
 * @returns the task, for `new Worker(queues, [task])` and `queue.enqueue(task, payload)`
 * @throws {TypeError} for a bad name, or both `timeout` and `timeoutMs`
 * @throws {RangeError} naming the option, for a duration that is not one
 *
 * @example A typed task
 * ```ts
 * import { defineTask } from "@naq/naq";
 *
 * export const sendEmail = defineTask("send-email", async (payload: { to: string }, ctx) => {
 *   ctx.log.info(`sending to ${payload.to}`);
 *   return { delivered: true };
 * }, { attempts: 5, timeout: "30s", backoff: { type: "exponential", delay: "1s" } });
 * ```
 */
export function defineTask<P, R>(
  name: string,
  handler: TaskHandler<P, R>,
  options: TaskOptions = {},
): Task<P, R> {
  if (!TASK_NAME.test(name)) {
    throw new TypeError(
      `Cannot define task ${
        JSON.stringify(name)
      }: use 1 to 200 letters, digits, "_", ".", ":" or "-"`,
    );
  }
  return Object.freeze({ name, handler, options: taskDefaults(name, options) });
}

function taskDefaults(name: string, options: TaskOptions): TaskDefaults {
  const { attempts, backoff, timeout, timeoutMs } = options;
  if (timeout !== undefined && timeoutMs !== undefined) {
    throw new TypeError(
      `Cannot define task ${JSON.stringify(name)} with both timeout and timeoutMs: give ` +
        `timeout only (timeoutMs is its deprecated name)`,
    );
  }
  const given = timeout ?? timeoutMs;
  const whose = ` of task ${JSON.stringify(name)}`;
  const defaults: TaskDefaults = {
    attempts,
    backoff: backoff === undefined ? undefined : backoffMs(backoff, whose),
    timeoutMs: given === undefined ? undefined : durationMs(given, `timeout${whose}`),
  };
  // an option not given keeps the queue's, and shows no key
  return Object.freeze(
    Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined)),
  );
}
