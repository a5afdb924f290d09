import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { createConfig, defaultConfig } from "../../src/config/mod.ts";
import { configErrorOf } from "./_fixture.ts";

Deno.test("createConfig() fills every default, durations in ms and sizes in bytes", () => {
  const config = createConfig();
  assert.deepEqual(config, {
    nats: {
      servers: ["nats://127.0.0.1:4222"],
      name: "naq",
      connectTimeout: 5_000,
      reconnect: { wait: 2_000, jitter: 100, maxAttempts: -1 },
    },
    prefix: "naq",
    streams: { replicas: 1 },
    queueDefaults: {
      ackWait: 30_000,
      attempts: 3,
      maxInFlight: 1000,
      maxStalls: 3,
      backoff: { type: "exponential", delay: 1_000, maxDelay: 3_600_000, jitter: 0.1, delays: [] },
    },
    queues: {},
    worker: { concurrency: 10, heartbeat: 5_000, shutdownTimeout: 30_000, scheduler: true },
    scheduler: { lease: 15_000 },
    events: { enabled: true, maxAge: 7 * 86_400_000, maxBytes: 1024 ** 3 },
    results: { ttl: 86_400_000 },
    dashboard: {},
  });
  assert.deepEqual(defaultConfig(), config);
});

Deno.test("createConfig() resolves durations, sizes and server lists as written", () => {
  const config = createConfig({
    nats: { servers: "nats://a:4222, tls://b:4443,c:4222", connectTimeout: "1h30m" },
    queueDefaults: { ackWait: 250, backoff: { type: "list", delays: ["1s", "5m", 10] } },
    events: { maxBytes: "512MB" },
  });
  assert.deepEqual(config.nats.servers, ["nats://a:4222", "tls://b:4443", "c:4222"]);
  assert.equal(config.nats.connectTimeout, 5_400_000);
  assert.equal(config.queueDefaults.ackWait, 250);
  assert.deepEqual(config.queueDefaults.backoff.delays, [1_000, 300_000, 10]);
  assert.equal(config.events.maxBytes, 512_000_000);
});

Deno.test("createConfig() accepts every server URL form and rejects others", () => {
  const ok = [
    "nats://h",
    "nats://h:4222",
    "tls://u:p@h:4222",
    "ws://h:80",
    "wss://[::1]:443",
    "h:4222",
  ];
  assert.deepEqual(createConfig({ nats: { servers: ok } }).nats.servers, ok);
  for (const bad of ["http://h:80", "h", "nats://h:99999", ""]) {
    assert.throws(() => createConfig({ nats: { servers: [bad] } }), ConfigError, bad);
  }
});

Deno.test("createConfig() returns a deeply frozen configuration", () => {
  const config = createConfig({ queues: { emails: { backoff: { delay: "2s" } } } });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.nats.servers));
  assert.ok(Object.isFrozen(config.queues.emails.backoff));
  assert.throws(() => {
    (config.worker as { concurrency: number }).concurrency = 1;
  }, TypeError);
});

Deno.test("createConfig() lists every invalid setting in one error", () => {
  const message = configErrorOf(() =>
    createConfig({
      prefix: "my.app",
      streams: { replicas: 7 },
      worker: { concurrency: 0 },
      // deno-lint-ignore no-explicit-any
      events: { enabled: "yes" as any },
    })
  );
  assert.equal(
    message,
    [
      "Invalid configuration:",
      `  prefix: expected a prefix of 1 to 32 letters, digits and "-" (no "_": it ends the prefix in stream names), other than "KV" (the start of NATS's KV bucket streams), got "my.app"`,
      "  streams.replicas: expected an integer from 1 to 5, got 7",
      "  worker.concurrency: expected an integer >= 1, got 0",
      '  events.enabled: expected true or false, got "yes"',
    ].join("\n"),
  );
});

Deno.test('createConfig() requires delays when backoff type is "list", per queue too', () => {
  assert.throws(
    () => createConfig({ queueDefaults: { backoff: { type: "list" } } }),
    /queueDefaults\.backoff\.delays: expected a non-empty list of durations when backoff type is "list", got an empty list/,
  );
  assert.throws(
    () => createConfig({ queues: { emails: { backoff: { type: "list" } } } }),
    /queues\.emails\.backoff\.delays: expected a non-empty list/,
  );
  // A queue may take its delays from queueDefaults.
  const config = createConfig({
    queueDefaults: { backoff: { delays: ["1s"] } },
    queues: { emails: { backoff: { type: "list" } } },
  });
  assert.equal(config.queues.emails.backoff?.type, "list");
});

Deno.test("createConfig() takes a number as milliseconds, and refuses text without a unit", () => {
  assert.equal(createConfig({ worker: { heartbeat: 5000 } }).worker.heartbeat, 5000);
  assert.match(
    configErrorOf(() => createConfig({ worker: { heartbeat: "5" } })),
    /worker\.heartbeat: expected a duration with a unit; a number needs a unit: write "5s"/,
  );
});

Deno.test("createConfig() refuses a worker heartbeat under 1s: the registry counts in seconds", () => {
  assert.equal(createConfig({ worker: { heartbeat: "1s" } }).worker.heartbeat, 1_000);
  assert.match(
    configErrorOf(() => createConfig({ worker: { heartbeat: "500ms" } })),
    /worker\.heartbeat: expected a duration of at least 1s, got "500ms"/,
  );
  assert.match(
    configErrorOf(() => createConfig({ worker: { heartbeat: "5" } })),
    /worker\.heartbeat: expected a duration with a unit/,
  );
});
