/**
 * Temp directories and injected environments, so config tests never read the machine's
 * own files or variables.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigError } from "../../src/errors.ts";

/** A temp directory with a `home/` inside, removed on dispose. */
export interface TempProject extends AsyncDisposable {
  /** The project directory, used as `cwd`. */
  readonly dir: string;
  /** A home directory inside it, used as `home`. */
  readonly home: string;
  /** Writes `text` to `name` (relative to `dir`, folders created) and returns its path. */
  write(name: string, text: string): Promise<string>;
}

/** Makes a temp project; use with `await using`. */
export async function tempProject(files: Record<string, string> = {}): Promise<TempProject> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "naq_config_" }));
  const home = join(dir, "home");
  await Deno.mkdir(home);
  const project: TempProject = {
    dir,
    home,
    async write(name, text) {
      const path = join(dir, name);
      await Deno.mkdir(join(path, ".."), { recursive: true });
      await Deno.writeTextFile(path, text);
      return path;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
  for (const [name, text] of Object.entries(files)) await project.write(name, text);
  return project;
}

/** An env getter over a fixed set of variables. */
export function envOf(vars: Record<string, string> = {}): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

/** Dedents a template literal so YAML in tests can be indented with the code. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, "");
  const indent = Math.min(
    ...text.split("\n").filter((line) => line.trim() !== "").map((line) =>
      line.match(/^ */)![0].length
    ),
  );
  return text.split("\n").map((line) => line.slice(indent)).join("\n");
}

/** The message of the ConfigError `fn` throws; fails when it throws something else or nothing. */
export function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

/** The message of the ConfigError `promise` rejects with. */
export async function configRejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("expected a ConfigError, but the promise resolved");
}
