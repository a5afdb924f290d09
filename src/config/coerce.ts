/**
 * Reads a string from an environment variable or an interpolated YAML value as the kind
 * of value the schema expects there, so `NAQ_WORKER_CONCURRENCY=10` means the number 10.
 *
 * @module
 */
import type { LeafKind } from "./_leaves.ts";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * `text` as the kind of value a leaf holds; text that does not fit is returned unchanged,
 * so validation reports it as the user wrote it. `""` stays `""`, never 0.
 *
 * @param kind the kind of the leaf, or `undefined` outside the schema
 * @param text the string as written
 * @returns a number, a boolean, a list of strings, or `text`
 */
export function coerceString(kind: LeafKind | undefined, text: string): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case "integer":
    case "number":
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case "boolean": {
      const lower = trimmed.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : text;
    }
    case "durations":
      return trimmed === "" ? [] : trimmed.split(",").map((part) => part.trim());
    default:
      return text;
  }
}
