import assert from "node:assert/strict";
import { createConfig, queueSettings } from "../../src/config/mod.ts";

Deno.test("queueSettings() gives a queue without overrides the defaults", () => {
  const config = createConfig({ queueDefaults: { attempts: 5 } });
  assert.deepEqual(queueSettings(config, "anything"), config.queueDefaults);
});

Deno.test("queueSettings() lets a queue override a single backoff field", () => {
  const config = createConfig({
    queueDefaults: { ackWait: "1m", backoff: { type: "fixed", delay: "2s", jitter: 0 } },
    queues: { emails: { attempts: 10, backoff: { delay: "30s" } } },
  });
  assert.deepEqual(queueSettings(config, "emails"), {
    ackWait: 60_000,
    attempts: 10,
    maxInFlight: 1000,
    maxStalls: 3,
    backoff: { type: "fixed", delay: 30_000, maxDelay: 3_600_000, jitter: 0, delays: [] },
  });
});

Deno.test("queueSettings() returns frozen settings and ignores inherited object keys", () => {
  const config = createConfig();
  const settings = queueSettings(config, "constructor");
  assert.equal(settings.attempts, 3);
  assert.ok(Object.isFrozen(settings) && Object.isFrozen(settings.backoff));
});
