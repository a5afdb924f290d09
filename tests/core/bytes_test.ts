import assert from "node:assert/strict";
import { tryParseBytes } from "../../src/core/bytes.ts";

Deno.test("tryParseBytes() reads decimal and binary units, case-insensitively", () => {
  assert.equal(tryParseBytes("512MB"), 512_000_000);
  assert.equal(tryParseBytes("1GiB"), 1024 ** 3);
  assert.equal(tryParseBytes("1kb"), 1_000);
  assert.equal(tryParseBytes("2 KiB"), 2_048);
  assert.equal(tryParseBytes("1.5MiB"), 1_572_864);
  assert.equal(tryParseBytes("1TB"), 1e12);
});

Deno.test("tryParseBytes() takes bare numbers as bytes", () => {
  assert.equal(tryParseBytes(1024), 1024);
  assert.equal(tryParseBytes("1024"), 1024);
  assert.equal(tryParseBytes("10b"), 10);
});

Deno.test("tryParseBytes() rejects what is not a size", () => {
  for (const bad of ["", "MB", "1 PB", "ten", "-1MB", "1e3"]) {
    assert.equal(tryParseBytes(bad), undefined, bad);
  }
  for (const bad of [-1, 1.5, Number.NaN]) assert.equal(tryParseBytes(bad), undefined, String(bad));
});
