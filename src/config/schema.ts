/**
 * The configuration schema: one definition gives the defaults, the validation, the
 * environment variable names and the keys that "did you mean" suggests.
 *
 * @module
 */
import { z } from "zod";
import {
  bool,
  duration,
  durations,
  int,
  num,
  oneOf,
  prefix,
  queueName,
  servers,
  size,
  str,
} from "./_leaves.ts";
import { MIN_HEARTBEAT_MS } from "../core/worker_entry.ts";

/**
 * A field that falls back to `fallback` (given as a user would write it) in the full
 * schema, and is merely optional in the per-queue overrides.
 */
function field<T extends z.ZodType, P extends boolean>(
  schema: T,
  fallback: z.input<T>,
  partial: P,
): P extends true ? z.ZodOptional<T> : z.ZodPrefault<T> {
  return (partial ? schema.optional() : schema.prefault(fallback)) as P extends true
    ? z.ZodOptional<T>
    : z.ZodPrefault<T>;
}

const OBJECT_ERROR = "expected a mapping of settings";

function queueSettingsSchema<P extends boolean>(partial: P) {
  const backoff = z.strictObject({
    type: field(oneOf(["fixed", "exponential", "list"]), "exponential", partial),
    delay: field(duration(), "1s", partial),
    maxDelay: field(duration(), "1h", partial),
    jitter: field(num(0, 1), 0.1, partial),
    delays: field(durations(), [], partial),
  }, { error: OBJECT_ERROR });
  return z.strictObject({
    ackWait: field(duration(), "30s", partial),
    attempts: field(int(1), 3, partial),
    maxInFlight: field(int(1), 1000, partial),
    maxStalls: field(int(0), 3, partial),
    // `{}` is a valid backoff input; TypeScript cannot see that through the generic `P`.
    backoff: field(backoff, {} as never, partial),
  }, { error: OBJECT_ERROR });
}

const partialQueueSettings = queueSettingsSchema(true);
const fullQueueSettings = queueSettingsSchema(false);

const nats = z.strictObject({
  servers: servers().prefault(["nats://127.0.0.1:4222"]),
  name: str().prefault("naq"),
  user: str().optional(),
  pass: str().optional(),
  token: str().optional(),
  nkeySeed: str().optional(),
  credsFile: str().optional(),
  tls: z.strictObject({
    ca: str().optional(),
    cert: str().optional(),
    key: str().optional(),
  }, { error: OBJECT_ERROR }).optional(),
  connectTimeout: duration().prefault("5s"),
  reconnect: z.strictObject({
    wait: duration().prefault("2s"),
    jitter: duration().prefault("100ms"),
    maxAttempts: int(-1, undefined, " (-1 tries forever)").prefault(-1),
  }, { error: OBJECT_ERROR }).prefault({}),
}, { error: OBJECT_ERROR });

/**
 * The schema of the whole configuration. Parsing fills in defaults and turns durations
 * into milliseconds and sizes into bytes.
 */
export const configSchema = z.strictObject({
  nats: nats.prefault({}),
  prefix: prefix().prefault("naq"),
  streams: z.strictObject({
    replicas: int(1, 5).prefault(1),
  }, { error: OBJECT_ERROR }).prefault({}),
  queueDefaults: fullQueueSettings.prefault({}),
  queues: z.record(queueName(), partialQueueSettings, { error: OBJECT_ERROR })
    .prefault({}),
  worker: z.strictObject({
    concurrency: int(1).prefault(10),
    // the registry counts an entry's time to live, two heartbeats, in whole seconds
    heartbeat: duration(MIN_HEARTBEAT_MS).prefault("5s"),
    shutdownTimeout: duration().prefault("30s"),
    scheduler: bool().prefault(true),
  }, { error: OBJECT_ERROR }).prefault({}),
  scheduler: z.strictObject({
    lease: duration().prefault("15s"),
  }, { error: OBJECT_ERROR }).prefault({}),
  events: z.strictObject({
    enabled: bool().prefault(true),
    maxAge: duration().prefault("7d"),
    maxBytes: size().prefault("1GiB"),
    replicas: int(1, 5).optional(),
  }, { error: OBJECT_ERROR }).prefault({}),
  results: z.strictObject({
    ttl: duration().prefault("24h"),
  }, { error: OBJECT_ERROR }).prefault({}),
  dashboard: z.strictObject({
    token: str().optional(),
  }, { error: OBJECT_ERROR }).prefault({}),
}, { error: OBJECT_ERROR }).superRefine((config, ctx) => {
  // Checked on the whole config, not per queue: a queue may set `type: list` and inherit
  // its delays from queueDefaults.
  // Fields that failed validation may be missing here: check only well-formed values.
  const defaults = config.queueDefaults?.backoff;
  if (defaults?.type === "list" && defaults.delays?.length === 0) {
    ctx.addIssue(listWithoutDelays(["queueDefaults", "backoff", "delays"], defaults.delays));
  }
  for (const [queue, own] of Object.entries(config.queues ?? {})) {
    const type = own?.backoff?.type ?? defaults?.type;
    const delays = own?.backoff?.delays ?? defaults?.delays;
    const setHere = own?.backoff?.type !== undefined || own?.backoff?.delays !== undefined;
    if (setHere && type === "list" && delays?.length === 0) {
      ctx.addIssue(listWithoutDelays(["queues", queue, "backoff", "delays"], delays));
    }
  }
});

/** Marks issues that only the merged configuration can raise; see `validate.ts`. */
export const CROSS_FIELD = "naqCrossField";

function listWithoutDelays(path: string[], delays: number[]) {
  return {
    code: "custom" as const,
    path,
    input: delays,
    message: 'expected a non-empty list of durations when backoff type is "list"',
    params: { [CROSS_FIELD]: true },
  };
}
