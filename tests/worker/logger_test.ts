import assert from "node:assert/strict";
import { jsonRecord } from "../../src/cli/_logger.ts";
import { formatPlainLine } from "../../src/worker/logger.ts";

const AT = Date.UTC(2026, 11, 1, 23, 52, 35, 120);

Deno.test("formatPlainLine() starts with the time and level, names the job, and ends with the rest of the data", () => {
  const job = { queue: "emails", task: "send", jobId: "j1", attempt: 1, durationMs: 12 };
  assert.equal(
    formatPlainLine("info", "completed in 12 ms", job, AT),
    "2026-12-01T23:52:35.120Z INFO  naq: emails send j1 completed in 12 ms",
  );
  assert.equal(
    formatPlainLine("warn", "failed attempt 1; retry in 1000 ms", { ...job, error: "refused" }, AT),
    '2026-12-01T23:52:35.120Z WARN  naq: emails send j1 failed attempt 1; retry in 1000 ms {"error":"refused"}',
  );
  assert.equal(
    formatPlainLine("warn", "dead at its claim: not JSON", { queue: "emails" }, AT),
    "2026-12-01T23:52:35.120Z WARN  naq: emails - - dead at its claim: not JSON",
  );
  assert.equal(
    formatPlainLine("error", "naq worker w: pulling failed", { error: "gone" }, AT),
    '2026-12-01T23:52:35.120Z ERROR naq worker w: pulling failed {"error":"gone"}',
  );
});

Deno.test("jsonRecord() puts ts, level, msg and the job's fields first, then the rest", () => {
  const record = jsonRecord("warn", "dead after attempt 2: boom", {
    extra: true,
    error: "boom",
    attempt: 2,
    jobId: "j1",
    task: "send",
    queue: "emails",
    durationMs: 5,
  }, AT);
  assert.deepEqual(Object.entries(record), [
    ["ts", "2026-12-01T23:52:35.120Z"],
    ["level", "warn"],
    ["msg", "dead after attempt 2: boom"],
    ["queue", "emails"],
    ["task", "send"],
    ["jobId", "j1"],
    ["attempt", 2],
    ["durationMs", 5],
    ["error", "boom"],
    ["extra", true],
  ]);
});
