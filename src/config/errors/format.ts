/**
 * Turns configuration problems into the one message a user reads: grouped by source,
 * each line naming where the value was written, the key path, what was expected and
 * what was seen.
 *
 * @module
 */
import type { Where } from "../layer.ts";

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** Where the offending key or value was written. */
  readonly where: Where;
  /** The key path from the top, such as `["worker", "concurrency"]`. */
  readonly path: readonly PropertyKey[];
  /** What was expected and what was seen, such as `expected an integer >= 1, got "ten"`. */
  readonly message: string;
}

/** A key path as users write it: `queueDefaults.backoff.delays[1]`, `queues."a b"`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else {
      const text = String(key);
      const part = /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text);
      out += out === "" ? part : `.${part}`;
    }
  }
  return out;
}

/** A value as a message quotes it: strings quoted, lists and mappings named. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function header(where: Where): string {
  switch (where.kind) {
    case "file":
      return `Invalid configuration in ${where.file}:`;
    case "env":
      return "Invalid configuration in environment variables:";
    case "override":
      return "Invalid configuration in overrides:";
    case "input":
      return "Invalid configuration:";
  }
}

function prefix(where: Where): string {
  switch (where.kind) {
    case "file":
      return `line ${where.line}, column ${where.column}: `;
    case "env":
      return `${where.name}=${JSON.stringify(where.raw)}: `;
    case "override":
      return "override: ";
    case "input":
      return "";
  }
}

/**
 * The message of a `ConfigError` listing every problem.
 *
 * @param problems at least one problem
 * @returns one header line per source, then one indented line per problem
 */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const groups = new Map<string, ConfigProblem[]>();
  for (const problem of problems) {
    const key = header(problem.where);
    groups.set(key, [...groups.get(key) ?? [], problem]);
  }
  const lines: string[] = [];
  for (const [title, group] of groups) {
    lines.push(title);
    const sorted = group.toSorted((a, b) => position(a.where) - position(b.where));
    for (const problem of sorted) {
      const path = problem.path.length > 0 ? `${formatPath(problem.path)}: ` : "";
      lines.push(`  ${prefix(problem.where)}${path}${problem.message}`);
    }
  }
  return lines.join("\n");
}

function position(where: Where): number {
  return where.kind === "file" ? where.line * 1e6 + where.column : 0;
}
