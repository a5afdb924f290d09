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
