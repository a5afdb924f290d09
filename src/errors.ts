/**
 * The errors naq throws. Each has a stable {@linkcode NaqError.code} to branch on;
 * messages are for people and may change.
 *
 * @module
 */

/**
 * The stable codes of {@linkcode NaqError} and its subclasses, by name: compare
 * `err.code === ErrorCode.NotFound` (or `"NOT_FOUND"`), or use {@linkcode isNaqError}.
 *
 * Its type spells each code's value, so the documentation shows them; the compiler checks
 * that the object has the same values.
 */
export const ErrorCode: {
  /** Configuration could not be read, parsed or validated. */
  readonly Config: "CONFIG";
  /** A NATS server could not be reached, or the connection was lost for good. */
  readonly Connection: "CONNECTION";
  /** An operation did not finish within its deadline. */
  readonly Timeout: "TIMEOUT";
  /** A resource (ServiceManager, Queue, Worker) was used after it was closed. */
  readonly Closed: "CLOSED";
  /** A stored value could not be decoded. */
  readonly Decode: "DECODE";
  /** A job failed for good; its last error is the cause. */
  readonly JobFailed: "JOB_FAILED";
  /** A job was cancelled before it finished. */
  readonly JobCancelled: "JOB_CANCELLED";
  /** A handler gave up on its job for good: it is dead at once, without retries. */
  readonly Unrecoverable: "UNRECOVERABLE";
  /** A job (or another named thing) does not exist. */
  readonly NotFound: "NOT_FOUND";
  /** A change was refused because someone else changed the same thing first. */
  readonly Conflict: "CONFLICT";
  /**
   * JetStream could not take a write for longer than naq waits: a stream had no leader (it
   * was electing one, or too few of its servers were up). Trying again later may succeed.
   */
  readonly Unavailable: "UNAVAILABLE";
} = Object.freeze({
  Config: "CONFIG",
  Connection: "CONNECTION",
  Timeout: "TIMEOUT",
  Closed: "CLOSED",
  Decode: "DECODE",
  JobFailed: "JOB_FAILED",
  JobCancelled: "JOB_CANCELLED",
  Unrecoverable: "UNRECOVERABLE",
  NotFound: "NOT_FOUND",
  Conflict: "CONFLICT",
  Unavailable: "UNAVAILABLE",
});

/** One of the values of {@linkcode ErrorCode}. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** The base of every error naq throws on purpose. */
export class NaqError extends Error {
  /** A stable code: compare against {@linkcode ErrorCode}, not against the message. */
  readonly code: ErrorCode;

  /**
   * Creates an error with a stable code.
   *
   * @param code the stable code
   * @param message what was wrong, the value seen, and how to fix it
   * @param options the underlying error, if any
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Configuration is invalid; the message names the source, line, key path and expectation. */
export class ConfigError extends NaqError {
  /**
   * Creates a configuration error.
   *
   * @param message the full, user-facing explanation
   */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Config, message, options);
  }
}

/** A NATS server could not be reached; the message names the server URLs tried. */
export class ConnectionError extends NaqError {
  /** The server URLs that were tried. */
  readonly servers: readonly string[];

  /**
   * Creates a connection error.
   *
   * @param servers the server URLs tried
   * @param message what went wrong and what to check
   */
  constructor(servers: readonly string[], message: string, options?: ErrorOptions) {
    super(ErrorCode.Connection, message, options);
    this.servers = servers;
  }

  /**
   * The error of a worker or scheduler that stopped because its connection closed for good.
   *
   * @param servers the server URLs configured
   * @param who what stopped, such as `Worker worker-1`
   */
  static closedForGood(servers: readonly string[], who: string): ConnectionError {
    return new ConnectionError(
      servers,
      `${who} stopped: its NATS connection is closed for good ` +
        `(nats.reconnect.maxAttempts was reached)`,
    );
  }
}

/** An operation did not finish within its deadline. */
export class TimeoutError extends NaqError {
  /**
   * Creates a timeout error.
   *
   * @param message what timed out and after how long
   */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Timeout, message, options);
  }
}

/**
 * Thrown by a handler to fail its job for good: the job is dead at once, however many
 * attempts it has left, as for a payload that can never succeed.
 *
 * @example Give up on a job whose payload cannot succeed
 * ```ts
 * import { defineTask, UnrecoverableError } from "@naq/naq";
 *
 * const charge = defineTask("charge", (payload: { card: string }) => {
 *   if (!payload.card) throw new UnrecoverableError("no card to charge");
 * });
 * ```
 */
export class UnrecoverableError extends NaqError {
  /**
   * Creates the error.
   *
   * @param message why the job can never succeed
   */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Unrecoverable, message, options);
  }
}

/** What `result()` throws for a job that failed for good; `cause` is its last attempt's error. */
export class JobFailedError extends NaqError {
  /** The job's id. */
  readonly jobId: string;
  /** Every attempt's error message, oldest first. */
  readonly attemptErrors: readonly string[];

  /**
   * Creates the error for a job that failed for good.
   *
   * @param jobId the job
   * @param message what failed
   * @param attemptErrors every attempt's error message
   */
  constructor(
    jobId: string,
    message: string,
    attemptErrors: readonly string[],
    options?: ErrorOptions,
  ) {
    super(ErrorCode.JobFailed, message, options);
    this.jobId = jobId;
    this.attemptErrors = attemptErrors;
  }
}

/** True when `err` is a {@linkcode NaqError} with the given code. */
export function isNaqError(err: unknown, code?: ErrorCode): err is NaqError {
  return err instanceof NaqError && (code === undefined || err.code === code);
}
