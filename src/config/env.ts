/**
 * `NAQ_*` environment variables: their names come from the schema's leaf paths
 * (`nats.connectTimeout` → `NAQ_NATS_CONNECT_TIMEOUT`), so a new setting gets its variable
 * without anyone keeping a list.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { leaves } from "./_walk.ts";
import { coerceString } from "./coerce.ts";
import { suggestKey } from "./errors/suggest.ts";
import { type Layer, setAt, type Where } from "./layer.ts";

/** Reads one environment variable; `undefined` when it is not set. */
export type EnvGetter = (name: string) => string | undefined;

/**
 * The environment variable for a key path: `NAQ_` and each camelCase key in UPPER_SNAKE.
 *
 * @example Name the variable of a setting
 * ```ts
 * import { envVarName } from "./env.ts";
 * envVarName(["queueDefaults", "backoff", "maxDelay"]); // "NAQ_QUEUE_DEFAULTS_BACKOFF_MAX_DELAY"
 * ```
 */
export function envVarName(path: readonly string[]): string {
  const snake = path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase());
  return ["NAQ", ...snake].join("_");
}

/** Every `NAQ_*` variable naq reads, with the key path it sets. */
export function envVarNames(): { name: string; path: readonly string[] }[] {
  return leaves().map((leaf) => ({ name: envVarName(leaf.path), path: leaf.path }));
}

/** Reads one environment variable; `why` tells a user who denied access what it was for. */
export type GuardedEnvGetter = (name: string, why?: string) => string | undefined;

/**
 * Wraps `get` so that a denied permission becomes a {@linkcode ConfigError} that names
 * the flag to add, instead of Deno's generic message.
 */
export function guardEnv(get: EnvGetter): GuardedEnvGetter {
  return (name, why) => {
    try {
      return get(name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied)) {
        throw err;
      }
      const flag = name.startsWith("NAQ_") ? "--allow-env=NAQ_*" : `--allow-env=${name}`;
      throw new ConfigError(
        `Cannot read environment variable ${name}${why ? ` (${why})` : ""}: permission denied; ` +
          `run with ${flag} or --allow-env`,
        { cause: err },
      );
    }
  };
}

/**
 * The layer of settings given by `NAQ_*` variables, values read as the schema expects
 * (`"10"` → 10 where a number is expected).
 *
 * @param get reads one variable
 * @returns the layer; its value is `{}` when no variable is set
 */
export function envLayer(get: EnvGetter): Layer {
  const value: Record<string, unknown> = {};
  const set: { path: readonly string[]; where: Where }[] = [];
  for (const leaf of leaves()) {
    const name = envVarName(leaf.path);
    const raw = get(name);
    if (raw === undefined) continue;
    setAt(value, leaf.path, coerceString(leaf.kind, raw));
    set.push({ path: leaf.path, where: { kind: "env", name, raw } });
  }
  return {
    value,
    where(path) {
      // A problem inside a value (the second server of a list) belongs to its variable.
      const found = set.find((entry) => entry.path.every((key, i) => path[i] === key));
      return found?.where ?? { kind: "env", name: envVarName(path.map(String)), raw: "" };
    },
  };
}

/** `NAQ_*` variables naq reads that set no setting: `NAQ_CONFIG` names the file. */
const OTHER_VARS = ["NAQ_CONFIG"] as const;

/**
 * A warning for each `NAQ_*` variable that naq does not read, a misspelling being silently
 * ignored otherwise; with the closest name naq reads when one is close.
 *
 * @param names the names of the variables set, such as `Object.keys(Deno.env.toObject())`
 * @returns one line per unknown `NAQ_*` variable; none for other variables
 *
 * @example A typo
 * ```ts
 * import { unknownEnvVarWarnings } from "./env.ts";
 * unknownEnvVarWarnings(["NAQ_WORKR_CONCURRENCY", "HOME"]);
 * // ["unknown environment variable NAQ_WORKR_CONCURRENCY is ignored; did you mean NAQ_WORKER_CONCURRENCY?"]
 * ```
 */
export function unknownEnvVarWarnings(names: readonly string[]): string[] {
  const known = [...envVarNames().map((entry) => entry.name), ...OTHER_VARS];
  return names.filter((name) => name.startsWith("NAQ_") && !known.includes(name)).map((name) => {
    const suggestion = suggestKey(name.slice(4), known.map((candidate) => candidate.slice(4)));
    return `unknown environment variable ${name} is ignored` +
      (suggestion ? `; did you mean NAQ_${suggestion}?` : "");
  });
}

/**
 * The names of the variables set, or `undefined` when the process may not list them (a
 * scoped `--allow-env=NAQ_*` permits reading each, not listing them).
 */
export function listEnvNames(): string[] | undefined {
  try {
    return Object.keys(Deno.env.toObject());
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw err;
  }
}
