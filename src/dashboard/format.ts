/**
 * How values read on a page: times, durations, JSON.
 *
 * @module
 */

/** An instant as `2026-12-02 09:00:00 UTC`; `—` for none. */
export function formatTime(at: number | null | undefined): string {
  if (at === null || at === undefined || !Number.isFinite(at)) return "—";
  return new Date(at).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** How long ago `at` was, from `now`, such as `3m 20s ago`, or `in 5s` for one to come. */
export function formatAgo(at: number, now: number): string {
  const ms = now - at;
  const text = formatSpan(Math.abs(ms));
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** A span such as `450ms`, `12s`, `3m 20s`, `2h 5m`, `3d 4h`. */
export function formatSpan(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1_000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A value as indented JSON; `undefined` as such. */
export function formatJson(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value, null, 2);
}
