/**
 * Prints resolved values the way people write them: 30000 ms as `30s`, 1073741824 bytes
 * as `1GiB`.
 *
 * @module
 */
import { formatDuration } from "../core/duration.ts";
import type { LeafKind } from "./_leaves.ts";

const BINARY_UNITS: [string, number][] = [
  ["TiB", 1024 ** 4],
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
];

/** `bytes` in the largest binary unit that divides it exactly, such as `"512MiB"`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * A resolved value as it would be written in a config file or environment variable.
 *
 * @param kind the leaf's kind, or `undefined` to print the value as it is
 * @param value the resolved value
 * @returns such as `"30s"`, `"1GiB"`, `"nats://a:4222,nats://b:4222"` or `"10"`
 */
export function formatValue(kind: LeafKind | undefined, value: unknown): string {
  if (kind === "duration" && typeof value === "number") return formatDuration(value);
  if (kind === "size" && typeof value === "number") return formatBytes(value);
  if (Array.isArray(value) && value.length === 0) return "[]";
  if (kind === "durations" && Array.isArray(value)) {
    return value.map((ms) => formatDuration(ms)).join(",");
  }
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}
