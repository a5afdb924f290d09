/**
 * Byte sizes as people write them ("512MB", "1GiB") and as naq stores them (bytes).
 *
 * @module
 */

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  tb: 1_000_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a size such as `"512MB"`, `"1GiB"` or a number of bytes.
 *
 * @param input a size string or a non-negative integer number of bytes
 * @returns the size in bytes, or `undefined` when `input` is not a size
 */
export function tryParseBytes(input: string | number): number | undefined {
  if (typeof input === "number") {
    return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  if (!match) return undefined;
  const unit = UNIT_BYTES[(match[2] || "b").toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}
