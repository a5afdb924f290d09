import assert from "node:assert/strict";
import { defineTask } from "../mod.ts";

Deno.test("defineTask() reads its durations, ms or text, into milliseconds", () => {
  const task = defineTask("send", () => null, {
    attempts: 4,
    timeout: "1m30s",
    backoff: { type: "exponential", delay: "250ms", maxDelay: 60_000 },
  });
  assert.deepEqual(task.options, {
    attempts: 4,
    timeoutMs: 90_000,
    backoff: { type: "exponential", delay: 250, maxDelay: 60_000 },
  });
  assert.deepEqual(defineTask("send", () => null, { timeout: 90_000 }).options, {
    timeoutMs: 90_000,
  });
  assert.ok(Object.isFrozen(task.options));
});

Deno.test("defineTask() sets no key for an option not given, so the queue's applies", () => {
  assert.deepEqual(defineTask("send", () => null).options, {});
  assert.deepEqual(defineTask("send", () => null, { backoff: { jitter: 0.5 } }).options, {
    backoff: { jitter: 0.5 },
  });
});

Deno.test("defineTask() still takes timeoutMs, the deprecated name of timeout", () => {
  const task = defineTask("send", () => null, { timeoutMs: 1_500 });
  assert.deepEqual(task.options, { timeoutMs: 1_500 });
  assert.throws(() => defineTask("send", () => null, { timeout: "1s", timeoutMs: 1_000 }), {
    name: "TypeError",
    message: /^Cannot define task "send" with both timeout and timeoutMs: give timeout only/,
  });
});

Deno.test("defineTask() refuses a duration that is not one, naming the task and the option", () => {
  assert.throws(() => defineTask("send", () => null, { timeout: "30" }), {
    name: "RangeError",
    message:
      /^Cannot parse duration "30" \(option timeout of task "send"\): a number needs a unit: write "30s"/,
  });
  assert.throws(() => defineTask("send", () => null, { backoff: { delays: [100, "soon"] } }), {
    name: "RangeError",
    message: /\(option backoff\.delays\[1\] of task "send"\): write a number followed by ms/,
  });
  assert.throws(() => defineTask("send", () => null, { timeout: -1 }), {
    name: "RangeError",
    message: /^Cannot parse duration -1 \(option timeout of task "send"\): milliseconds must be/,
  });
});
