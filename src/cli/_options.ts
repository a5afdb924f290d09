/**
 * What every command shares: `--config` and `--json`, the parsers of option values (a bad
 * value is a usage error, exit code 2), and opening the services on the resolved config.
 *
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { systemClock } from "../clock.ts";
import { loadConfig, type NaqConfig } from "../config/mod.ts";
import { parseDuration } from "../core/duration.ts";
import { checkJobId } from "../core/envelope.ts";
import { parseInstant } from "../core/instant.ts";
import { checkQueueName } from "../core/names.ts";
import { parseSince } from "../core/since.ts";
import { Queue } from "../queue.ts";
import { ConnectionService, ServiceManager } from "../services/mod.ts";

/** The options every command takes. */
export interface CommonOptions {
  /** The YAML file to read instead of searching for one. */
  readonly config?: string;
  /** Print JSON (one document, or NDJSON for streams) instead of tables. */
  readonly json?: boolean;
}

/** Adds `--config <file>` and `--json` to `command`. */
export function withCommonOptions(
  command: Command,
  json = "print JSON instead of a table",
): Command {
  return command
    .option("--config <file>", "read this YAML file instead of searching for one")
    .option("--json", json);
}

/** Resolves the configuration and opens a manager on it; the caller disposes of it. */
export async function openServices(options: CommonOptions): Promise<ServiceManager> {
  return new ServiceManager(await loadConfig({ file: options.config }));
}

/**
 * Opens a manager on `config` and connects it, for the commands that run until stopped: a
 * server that cannot be reached is then reported once, before anything says it is running.
 */
export async function connectedServices(config: NaqConfig): Promise<ServiceManager> {
  const services = new ServiceManager(config);
  try {
    await services.get(ConnectionService);
  } catch (err) {
    await services[Symbol.asyncDispose]();
    throw err;
  }
  return services;
}

/** Runs `use` with the queue `name` on a manager opened for it, and closes the manager. */
export async function withQueue<T>(
  name: string,
  options: CommonOptions,
  use: (queue: Queue) => Promise<T>,
): Promise<T> {
  await using services = await openServices(options);
  return await use(new Queue(name, { services }));
}

/** Stops the command with a usage error (exit code 2) and `message` on one line. */
export function usageError(command: Command, message: string): never {
  command.error(`naq: ${message}`, { exitCode: 2, code: "naq.usage" });
  throw new Error("unreachable"); // command.error() throws through exitOverride()
}

/** Parses an integer >= 1, for `--limit`, `--attempts`, `--concurrency`. */
export function parsePositiveInt(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError(`Expected an integer >= 1, got "${value}".`);
  }
  return number;
}

/** Parses a duration such as `30s`, `5m` or `1h30m` into milliseconds; `5` (no unit) is refused. */
export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * Parses where a history starts, a duration ago (`1h`) or an ISO 8601 time, into ms since the
 * epoch.
 */
export function parseSinceOption(value: string): number {
  try {
    return parseSince(value, systemClock.now(), "--since"); // "ago" is on the operator's clock
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Parses an ISO 8601 time such as `2026-12-01T09:00:00Z`, into ms since the epoch. */
export function parseInstantOption(value: string): number {
  try {
    return parseInstant(value, "a time");
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Checks a queue name: letters, digits, `_` and `-`, as long as a NATS name allows. */
export function parseQueueName(value: string): string {
  try {
    return checkQueueName(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Checks a queue name and appends it to `previous`, for `<queues...>`. */
export function collectQueueNames(value: string, previous: string[] = []): string[] {
  return [...previous, parseQueueName(value)];
}

/** Checks a job id: 1 to 200 letters, digits, `_`, `-` or `=`. */
export function parseJobId(value: string): string {
  try {
    return checkJobId(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Parses a TCP port, 0 to 65535 (0: the system picks a free one), for `--port`. */
export function parsePort(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number > 65_535) {
    throw new InvalidArgumentError(`Expected a port from 0 to 65535, got "${value}".`);
  }
  return number;
}
