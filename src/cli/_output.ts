/**
 * How commands print: aligned tables for people, JSON for machines.
 *
 * @module
 */

/** Aligns `rows` (the first is the header) in columns two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd())
    .join("\n");
}

/** Prints `value` as one line of JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value ?? null));
}

/** A timestamp in ms since the epoch as ISO 8601, or `-` when absent. */
export function formatTime(ms: number | null | undefined): string {
  return ms === undefined || ms === null ? "-" : new Date(ms).toISOString();
}

/** A JSON value on one line, cut to `max` characters; `-` when undefined. */
export function formatValue(value: unknown, max = 80): string {
  if (value === undefined) return "-";
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `count noun`, with an `s` unless the count is 1. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A help text's Examples section, for `command.addHelpText("after", …)`. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

/**
 * How long ago (or, for a time to come, how soon) `ms` is from `now`, in its largest unit:
 * `3m ago`, `in 2h`, `just now`; `-` when absent.
 */
export function formatAge(ms: number | null | undefined, now: number): string {
  if (ms === undefined || ms === null) return "-";
  const diff = Math.abs(now - ms);
  if (diff < 1_000) return "just now";
  const [size, unit] = ([[86_400_000, "d"], [3_600_000, "h"], [60_000, "m"], [1_000, "s"]] as const)
    .find(([size]) => diff >= size)!;
  const amount = `${Math.floor(diff / size)}${unit}`;
  return ms <= now ? `${amount} ago` : `in ${amount}`;
}
