/**
 * Reads one YAML config file into a layer that remembers the line and column of every key
 * and value, and expands `${VAR}` references in its string values.
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import { ConfigError } from "../errors.ts";
import { durationError } from "./_leaves.ts";
import { leafKindAt } from "./_walk.ts";
import { coerceString } from "./coerce.ts";
import { defaultConfig } from "./defaults.ts";
import type { ConfigProblem } from "./errors/format.ts";
import { formatValue } from "./format_value.ts";
import { interpolate } from "./interpolate.ts";
import { isPlainObject, type Layer, valueAt, type Where } from "./layer.ts";

/** A parsed config file: its layer, and the problems found before validation. */
export interface FileLayer {
  /** The file's settings, interpolated, with their positions. */
  readonly layer: Layer;
  /** Unset variables and malformed `${…}` references. */
  readonly problems: readonly ConfigProblem[];
}

type Position = { line: number; column: number };

/**
 * Parses the text of a config file.
 *
 * @param file the file's path, for messages
 * @param text the file's contents; empty means no settings
 * @param get reads the variables that `${VAR}` references name
 * @returns the layer and any interpolation problems
 * @throws {ConfigError} on YAML syntax errors, listing each with its line and column, and
 *   for aliases that expand past {@linkcode MAX_ALIAS_COUNT} copies (an alias bomb)
 */
export function parseConfigFile(
  file: string,
  text: string,
  get: (name: string) => string | undefined,
): FileLayer {
  const lineCounter = new LineCounter();
  const doc = parseYaml(file, text, lineCounter);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const at = err.linePos?.[0] ?? { line: 1, col: 1 };
        const first = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        return `${file}:${at.line}:${at.col}: YAML syntax error: ${first}`;
      }).join("\n"),
    );
  }

  const keys = new Map<string, Position>();
  const values = new Map<string, Position>();
  const positionOf = (node: { range?: unknown } | null | undefined): Position | undefined => {
    const range = node?.range as [number] | undefined;
    if (!range) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };
  const walk = (node: unknown, path: PropertyKey[]): void => {
    const at = positionOf(node as Node);
    if (at) values.set(pathKey(path), at);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyAt = positionOf(pair.key as Node);
        if (keyAt) keys.set(pathKey([...path, key]), keyAt);
        walk(pair.value, [...path, key]);
        // `key:` with nothing after it has an empty value node: point at the key instead.
        if (keyAt && isEmpty(pair.value)) values.set(pathKey([...path, key]), keyAt);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
    // An alias keeps its own position: its target was walked where it is defined.
  };
  walk(doc.contents, []);

  const where = (path: readonly PropertyKey[], part: "key" | "value"): Where => {
    for (let length = path.length; length >= 0; length--) {
      const id = pathKey(path.slice(0, length));
      const at = part === "key" ? keys.get(id) ?? values.get(id) : values.get(id) ?? keys.get(id);
      if (at) return { kind: "file", file, ...at };
    }
    return { kind: "file", file, line: 1, column: 1 };
  };

  const problems: ConfigProblem[] = [];
  const raw = toJS(file, doc, lineCounter) ?? {};
  if (!isPlainObject(raw)) {
    problems.push({
      where: where([], "value"),
      path: [],
      message: `expected a mapping of settings at the top level, got ${
        Array.isArray(raw) ? "a list" : JSON.stringify(raw)
      }`,
    });
    return { layer: { value: {}, where }, problems };
  }

  const expand = (value: unknown, path: PropertyKey[]): unknown => {
    if (Array.isArray(value)) return value.map((item, i) => expand(item, [...path, i]));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [key, expand(inner, [...path, key])]),
      );
    }
    if (typeof value === "number" && isDurationAt(path)) {
      // YAML reads `ackWait: 30` as a number, which naq's API takes as milliseconds; written
      // in a file it is far more likely meant as seconds, so it is refused with the fix
      problems.push({
        where: where(path, "value"),
        path,
        message: `${durationError(value)}, got ${value}`,
      });
      return value; // the problem above fails the load; the schema would take it as ms
    }
    if (typeof value !== "string") return value;
    const result = interpolate(value, get);
    if (result.ok) return result.changed ? coerceString(leafKindAt(path), result.value) : value;
    problems.push({
      where: where(path, "value"),
      path,
      message: result.missing === undefined
        ? result.malformed
        : `environment variable ${result.missing} is not set; set it or give a default: ` +
          `\${${result.missing}:-${exampleDefault(path)}}`,
    });
    return undefined;
  };
  return { layer: { value: expand(raw, []) as Record<string, unknown>, where }, problems };
}

/** How many copies aliases may make in one file, past which it is taken for an alias bomb. */
export const MAX_ALIAS_COUNT = 1000;

function toJS(file: string, doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter) {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // the yaml package throws a ReferenceError for "Excessive alias count"
    if (!(err instanceof ReferenceError)) throw err;
    let at = { line: 1, col: 1 };
    visit(doc, {
      Alias(_, node) {
        if (node.range) at = lineCounter.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    throw new ConfigError(
      `${file}:${at.line}:${at.col}: YAML aliases expand past ${MAX_ALIAS_COUNT} copies, as an ` +
        "alias bomb does; write the values out, or nest fewer aliases",
      { cause: err },
    );
  }
}

function parseYaml(file: string, text: string, lineCounter: LineCounter) {
  try {
    return parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  } catch (err) {
    // The yaml package checks LOG_TOKENS and LOG_STREAM (debug switches) on every parse,
    // which Deno refuses under a least-privilege --allow-env=NAQ_*.
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    throw new ConfigError(
      `Cannot parse ${file}: the YAML parser reads the environment variables LOG_TOKENS and ` +
        `LOG_STREAM; run with --allow-env=NAQ_*,LOG_TOKENS,LOG_STREAM or --allow-env`,
      { cause: err },
    );
  }
}

/** True when `path` is a duration, or an item of a list of them. */
function isDurationAt(path: readonly PropertyKey[]): boolean {
  return leafKindAt(path) === "duration" ||
    (typeof path.at(-1) === "number" && leafKindAt(path.slice(0, -1)) === "durations");
}

function isEmpty(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  const range = (node as Node).range;
  return isScalar(node) && node.value === null && (!range || range[0] === range[1]);
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join("\u0000");
}

/** The default of the setting at `path` as it would be written, to suggest in a message. */
function exampleDefault(path: readonly PropertyKey[]): string {
  // A queue's settings default to queueDefaults.
  const lookup = path[0] === "queues" ? ["queueDefaults", ...path.slice(2)] : path;
  const value = valueAt(defaultConfig(), lookup);
  if (value === undefined || isPlainObject(value)) return "value";
  return formatValue(leafKindAt(lookup), value);
}
