/**
 * The oldest nats-server naq runs on, and how versions compare. One constant serves both the
 * connect check and the tool that finds or fetches a server for the demo, the tests and CI.
 *
 * @module
 */

/**
 * The oldest nats-server naq supports: naq is built and tested for it, and moves onto what
 * 2.12 added (message schedules, atomic batches, counters). An older server would accept
 * some of those and silently ignore them (2.9.10 stores a scheduled message and never fires
 * it), so naq refuses it at connect rather than run on it.
 */
export const MIN_NATS_SERVER_VERSION = "2.12.0";

/** A parsed `major.minor.patch` version. */
export type ServerVersion = readonly [major: number, minor: number, patch: number];

/**
 * Reads a version as nats-server reports it: `2.15.1`, `v2.15.1`, `nats-server: v2.15.1`, or
 * a Debian package version such as `2.15.1-1`.
 *
 * @param text the version text
 * @returns the version, or `undefined` when the text holds none
 */
export function tryParseServerVersion(text: string): ServerVersion | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/**
 * Orders two versions.
 *
 * @returns a negative number when `a` is older than `b`, 0 when equal, positive when newer
 */
export function compareServerVersions(a: ServerVersion, b: ServerVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` is at least naq's minimum ({@linkcode MIN_NATS_SERVER_VERSION}).
 *
 * @param version the version text, as in {@linkcode tryParseServerVersion}
 * @returns false as well when the text holds no version
 */
export function isSupportedServerVersion(version: string): boolean {
  const parsed = tryParseServerVersion(version);
  return parsed !== undefined &&
    compareServerVersions(parsed, tryParseServerVersion(MIN_NATS_SERVER_VERSION)!) >= 0;
}
