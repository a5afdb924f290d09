/**
 * Loading the operator's task module for `naq worker`. The path comes from the command
 * line only; no code is ever loaded from a message.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Task } from "../task.ts";

/** True for a value shaped like what `defineTask()` returns. */
export function isTask(value: unknown): value is Task {
  if (typeof value !== "object" || value === null) return false;
  const task = value as Partial<Task>;
  return typeof task.name === "string" && typeof task.handler === "function" &&
    typeof task.options === "object" && task.options !== null;
}

/**
 * Imports the module at `path` (relative to `cwd`) and returns every task it exports: named
 * exports that are tasks, and the tasks in exported arrays (such as a default array).
 *
 * @param path the module's path, as the operator wrote it
 * @param cwd the directory a relative path is resolved against
 * @returns the tasks, each once, in export order
 * @throws {Error} with a one-line message when the module cannot be imported or has no task
 */
export async function loadTaskModule(path: string, cwd = Deno.cwd()): Promise<Task[]> {
  const url = pathToFileURL(resolve(cwd, path)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new Error(`Cannot load the task module ${path}: ${reason}`);
  }
  const tasks = new Set<Task>();
  for (const value of Object.values(module)) {
    const candidates = Array.isArray(value) ? value : [value];
    for (const candidate of candidates) if (isTask(candidate)) tasks.add(candidate);
  }
  if (tasks.size === 0) {
    throw new Error(
      `The task module ${path} exports no task: export tasks made with defineTask(), ` +
        `by name or as a default array`,
    );
  }
  return [...tasks];
}
