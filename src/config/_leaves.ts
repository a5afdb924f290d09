/**
 * The leaf schemas of the configuration. Each is tagged with a {@linkcode LeafKind} so that
 * code walking the schema (environment variables, interpolation, `naq config show`) knows
 * how to read a string into it and how to print it, without a hand-written list.
 *
 * Each leaf carries one `error` message that states the expectation; the formatter adds
 * the value seen, so messages read "expected …, got …".
 *
 * @module
 */
import { z } from "zod";
import {
  durationProblem,
  formatDuration,
  isBareNumber,
  tryParseDuration,
} from "../core/duration.ts";
import { tryParseBytes } from "../core/bytes.ts";
import {
  isPrefix,
  isQueueName,
  PREFIX_RULE,
  QUEUE_NAME_RULE,
  queueNameProblem,
} from "../core/names.ts";

/** What kind of value a leaf of the configuration holds. */
export type LeafKind =
  | "string"
  | "servers"
  | "integer"
  | "number"
  | "boolean"
  | "enum"
  | "duration"
  | "durations"
  | "size";

const kinds = new WeakMap<object, LeafKind>();

function tag<T extends z.ZodType>(schema: T, kind: LeafKind): T {
  kinds.set(schema, kind);
  return schema;
}

/** The kind a schema was tagged with, if it is a leaf. */
export function leafKindOf(schema: z.ZodType): LeafKind | undefined {
  return kinds.get(schema);
}

/** A string. */
export function str(error = "expected a string"): z.ZodString {
  return tag(z.string({ error }), "string");
}

/** naq's prefix: the rule is {@linkcode PREFIX_RULE}, the same that `wireNames()` applies. */
export function prefix(): z.ZodString {
  const error = `expected a prefix of ${PREFIX_RULE}`;
  return tag(z.string({ error }).refine(isPrefix, { error }), "string");
}

/** A queue's name: the rule is {@linkcode QUEUE_NAME_RULE}, as `wireNames()` applies it. */
export function queueName(): z.ZodString {
  const error = `expected a queue name of ${QUEUE_NAME_RULE}`;
  return tag(
    z.string({ error }).refine(isQueueName, {
      error: (issue) => `expected a queue name: ${queueNameProblem(issue.input)}`,
    }),
    "string",
  );
}

/** An integer in `[min, max]`. */
export function int(min: number, max?: number, note = ""): z.ZodNumber {
  const error =
    (max === undefined
      ? `expected an integer >= ${min}`
      : `expected an integer from ${min} to ${max}`) + note;
  let schema = z.number({ error }).int({ error }).min(min, { error });
  if (max !== undefined) schema = schema.max(max, { error });
  return tag(schema, "integer");
}

/** A number in `[min, max]`. */
export function num(min: number, max: number): z.ZodNumber {
  const error = `expected a number from ${min} to ${max}`;
  return tag(z.number({ error }).min(min, { error }).max(max, { error }), "number");
}

/** `true` or `false`. */
export function bool(): z.ZodBoolean {
  return tag(z.boolean({ error: "expected true or false" }), "boolean");
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodEnum<{ [K in T[number]]: K }> {
  const list = values.map((v) => JSON.stringify(v));
  const error = `expected one of ${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
  return tag(z.enum(values, { error }), "enum");
}

type Parsed = z.ZodPipe<
  z.ZodUnion<readonly [z.ZodString, z.ZodNumber]>,
  z.ZodTransform<number, string | number>
>;

function parsedFrom(
  parse: (v: string | number) => number | undefined,
  error: string,
  errorFor: (value: string | number) => string = () => error,
): Parsed {
  return z.union([z.string(), z.number()], { error }).transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      ctx.issues.push({ code: "custom", message: errorFor(value), input: value });
      return z.NEVER;
    }
    return parsed;
  });
}

const DURATION_ERROR = 'expected a duration such as "30s", "5m" or "2h"';

/**
 * A duration: `"30s"` or `"1h30m"`, or a number of milliseconds from code; resolves to
 * milliseconds. Text without a unit (`"5"`, from a file or the environment) is refused, and so
 * is a number in a YAML file (see `yaml_file.ts`).
 *
 * @param minMs the shortest duration taken, when there is one
 */
export function duration(minMs?: number): Parsed {
  if (minMs === undefined) {
    return tag(parsedFrom(tryParseDuration, DURATION_ERROR, durationError), "duration");
  }
  const atLeast = `expected a duration of at least ${formatDuration(minMs)}`;
  const parse = (value: string | number) => {
    const ms = tryParseDuration(value);
    return ms !== undefined && ms >= minMs ? ms : undefined;
  };
  return tag(
    parsedFrom(
      parse,
      atLeast,
      (value) => tryParseDuration(value) === undefined ? durationError(value) : atLeast,
    ),
    "duration",
  );
}

/** The message for a value that is not a duration: a bare number is shown with its fix. */
export function durationError(value: unknown): string {
  return isBareNumber(value) || typeof value === "number"
    ? `expected a duration with a unit; ${durationProblem(value)}`
    : DURATION_ERROR;
}

/** A list of durations; resolves to milliseconds. */
export function durations(): z.ZodArray<Parsed> {
  return tag(z.array(duration(), { error: `expected a list of durations` }), "durations");
}

/** A size: `"512MB"`, `"1GiB"` or bytes; resolves to bytes. */
export function size(): Parsed {
  return tag(
    parsedFrom(tryParseBytes, 'expected a size such as "512MB" or "1GiB", or a number of bytes'),
    "size",
  );
}

const SCHEME_URL =
  /^(?:nats|tls|ws|wss):\/\/(?:[^@/\s]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/;
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** True when `url` looks like `host:port` or `nats|tls|ws|wss://host[:port]`. */
export function isServerUrl(url: string): boolean {
  const match = SCHEME_URL.exec(url) ?? HOST_PORT.exec(url);
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65535);
}

const SERVER_ERROR = 'expected a server such as "nats://host:4222" or "host:4222"';

type Servers = z.ZodPipe<
  z.ZodPipe<
    z.ZodUnion<readonly [z.ZodString, z.ZodArray<z.ZodString>]>,
    z.ZodTransform<string[], string | string[]>
  >,
  z.ZodArray<z.ZodString>
>;

/** Server URLs: one, a comma-separated string, or a list; resolves to a list. */
export function servers(): Servers {
  const list = z.union([z.string(), z.array(z.string({ error: SERVER_ERROR }))], {
    error: "expected a server URL, a comma-separated string of them, or a list of them",
  });
  const split = list.transform((value) =>
    (typeof value === "string" ? value.split(",") : value).map((s) => s.trim()).filter((s) =>
      s !== ""
    )
  );
  const urls = z.array(z.string().refine(isServerUrl, { error: SERVER_ERROR }))
    .min(1, { error: "expected at least one server URL" });
  return tag(split.pipe(urls), "servers");
}
