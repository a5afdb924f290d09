/**
 * Finds the one YAML config file to read.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "../errors.ts";

/** Where to look for a config file, in order; the first that exists is read. */
export function candidateFiles(cwd: string, home: string | undefined): string[] {
  return [
    join(cwd, "naq.yaml"),
    join(cwd, "naq.yml"),
    ...(home ? [join(home, ".config", "naq", "config.yaml")] : []),
    "/etc/naq/config.yaml",
  ];
}

/** A config file that was found and read. */
export interface FoundFile {
  /** The absolute path of the file. */
  readonly path: string;
  /** Its contents. */
  readonly text: string;
}

/** Where the search for a config file starts. */
export interface FindFileOptions {
  /** A file that must exist (`--config`), or `false` to read no file. */
  readonly file?: string | false;
  /** The file named by `NAQ_CONFIG`, which must exist too. */
  readonly fromEnv?: string;
  /** The directory `naq.yaml` is looked for in. */
  readonly cwd: string;
  /** Resolves the home directory, only when the search gets that far. */
  readonly home: () => string | undefined;
}

/**
 * Reads the first config file found: the one given, else the one `NAQ_CONFIG` names, else
 * the first of {@linkcode candidateFiles} that exists.
 *
 * @returns the file, or `undefined` when none is given or found
 * @throws {ConfigError} when a file given or named by `NAQ_CONFIG` cannot be read, or a
 *   candidate exists but cannot be read
 */
export async function findConfigFile(options: FindFileOptions): Promise<FoundFile | undefined> {
  if (options.file === false) return undefined;
  if (options.file !== undefined) return await readRequired(options.cwd, options.file, "");
  if (options.fromEnv !== undefined && options.fromEnv !== "") {
    return await readRequired(options.cwd, options.fromEnv, " (named by NAQ_CONFIG)");
  }
  const local = candidateFiles(options.cwd, undefined).slice(0, 2);
  for (const path of local) {
    const text = await readOptional(path);
    if (text !== undefined) return { path, text };
  }
  // HOME is resolved only now: a project with its own naq.yaml needs no --allow-env=HOME.
  for (const path of candidateFiles(options.cwd, options.home()).slice(local.length)) {
    const text = await readOptional(path);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}

async function readRequired(cwd: string, file: string, why: string): Promise<FoundFile> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  try {
    return { path, text: await Deno.readTextFile(path) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(`Config file not found: ${path}${why}`, { cause: err });
    }
    throw readError(path, err, "the config file given");
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw readError(path, err, "a place naq looks for a config file");
  }
}

function readError(path: string, err: unknown, what: string): ConfigError {
  if (err instanceof Deno.errors.NotCapable) {
    return new ConfigError(
      `Cannot read ${path} (${what}): permission denied; run with --allow-read, ` +
        `or name a file you allow reading with --config or NAQ_CONFIG`,
      { cause: err },
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError(`Cannot read ${path} (${what}): ${reason}`, { cause: err });
}
