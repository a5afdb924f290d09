/**
 * Resolves the configuration from its sources, lowest precedence first: defaults, one YAML
 * file, `NAQ_*` environment variables, explicit overrides.
 *
 * @module
 */
import { leafKindAt } from "./_walk.ts";
import { envLayer, guardEnv, listEnvNames, unknownEnvVarWarnings } from "./env.ts";
import { findConfigFile } from "./find_file.ts";
import { isPlainObject, type Layer, plainLayer, sourceLabel, valueAt } from "./layer.ts";
import type { ConfigInput, NaqConfig } from "./types.ts";
import { validateLayers } from "./validate.ts";
import { parseConfigFile } from "./yaml_file.ts";
import type { ConfigProblem } from "./errors/format.ts";

/** Where {@linkcode loadConfig} reads settings from. */
export interface LoadConfigOptions {
  /**
   * The YAML file to read; it must exist. `false` reads no file. When absent: the file
   * `NAQ_CONFIG` names, else the first of `./naq.yaml`, `./naq.yml`,
   * `~/.config/naq/config.yaml`, `/etc/naq/config.yaml` that exists.
   */
  file?: string | false;
  /** Reads one environment variable; defaults to `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /**
   * The names of the variables set, to warn of a misspelt `NAQ_*` one. Defaults to the
   * process's, when it may list them (`--allow-env` without a list), and to none when `env` is
   * given.
   */
  envNames?: readonly string[];
  /** Receives each warning, such as an unknown `NAQ_*` variable; defaults to `console.warn`. */
  warn?: (message: string) => void;
  /** Settings that win over every other source. */
  overrides?: ConfigInput;
  /** The directory relative paths and `naq.yaml` are resolved against; defaults to `Deno.cwd()`. */
  cwd?: string;
  /** The home directory; defaults to the `HOME` environment variable. */
  home?: string;
}

/** A resolved configuration and where each of its values came from. */
export interface ResolvedConfig {
  /** The configuration. */
  config: NaqConfig;
  /** The absolute path of the YAML file read, if one was. */
  file?: string;
  /** What was ignored, such as a misspelt `NAQ_*` variable; each also went to `warn`. */
  warnings: string[];
  /**
   * For each leaf, by dotted key path (`"worker.concurrency"`): `"default"`,
   * `"<file>:<line>"`, `"env NAQ_…"` or `"override"`.
   */
  sources: Record<string, string>;
}

/**
 * Resolves the configuration and records the source of every value, for
 * `naq config show`.
 *
 * @param options where to read settings from
 * @returns the frozen configuration, the file read and the source of each value
 * @throws {ConfigError} listing every problem, each with its file and line, environment
 *   variable or "override"; or when a file or variable cannot be read
 */
export async function resolveConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const get = guardEnv(options.env ?? ((name) => Deno.env.get(name)));
  const cwd = options.cwd ?? Deno.cwd();
  const found = await findConfigFile({
    file: options.file,
    fromEnv: options.file === undefined ? get("NAQ_CONFIG") : undefined,
    cwd,
    home: () => options.home ?? get("HOME", "to look for ~/.config/naq/config.yaml"),
  });

  const layers: Layer[] = [];
  const problems: ConfigProblem[] = [];
  if (found) {
    const parsed = parseConfigFile(
      found.path,
      found.text,
      (name) => get(name, `referenced as \${${name}} in ${found.path}`),
    );
    layers.push(parsed.layer);
    problems.push(...parsed.problems);
  }
  layers.push(envLayer(get));
  const names = options.envNames ?? (options.env ? [] : listEnvNames() ?? []);
  const warnings = unknownEnvVarWarnings(names);
  for (const warning of warnings) (options.warn ?? console.warn)(`naq: ${warning}`);
  if (options.overrides) {
    layers.push(plainLayer(options.overrides as Record<string, unknown>, { kind: "override" }));
  }

  const config = validateLayers(layers, problems);
  return {
    config,
    ...(found ? { file: found.path } : {}),
    warnings,
    sources: sourcesOf(config, layers),
  };
}

/**
 * Loads the configuration: defaults, then one YAML file, then `NAQ_*` environment
 * variables, then `overrides`.
 *
 * @param options where to read settings from
 * @returns the resolved configuration, deeply frozen
 * @throws {ConfigError} naming the file and line, variable or override of every problem
 *
 * @example Load with an override
 * ```ts
 * import { loadConfig } from "@naq/naq";
 * const config = await loadConfig({ overrides: { worker: { concurrency: 4 } } });
 * config.worker.concurrency; // 4
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<NaqConfig> {
  return (await resolveConfig(options)).config;
}

/** Every leaf of `config`, by dotted path, with the source of the topmost layer that set it. */
function sourcesOf(config: NaqConfig, layers: readonly Layer[]): Record<string, string> {
  const sources: Record<string, string> = {};
  const visit = (value: unknown, path: string[]): void => {
    // Leaves are what the schema calls leaves; `queues` and `tls` are mappings to descend.
    if (isPlainObject(value) && leafKindAt(path) === undefined) {
      for (const [key, inner] of Object.entries(value)) visit(inner, [...path, key]);
      return;
    }
    const layer = layers.findLast((candidate) => valueAt(candidate.value, path) !== undefined);
    sources[path.join(".")] = layer ? sourceLabel(layer.where(path, "key")) : "default";
  };
  visit(config, []);
  return sources;
}
