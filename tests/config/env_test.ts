import assert from "node:assert/strict";
import { envVarName, envVarNames, unknownEnvVarWarnings } from "../../src/config/env.ts";
import { coerceString } from "../../src/config/coerce.ts";

Deno.test("envVarName() turns each camelCase key into UPPER_SNAKE after NAQ_", () => {
  assert.equal(envVarName(["nats", "connectTimeout"]), "NAQ_NATS_CONNECT_TIMEOUT");
  assert.equal(
    envVarName(["queueDefaults", "backoff", "maxDelay"]),
    "NAQ_QUEUE_DEFAULTS_BACKOFF_MAX_DELAY",
  );
  assert.equal(envVarName(["nats", "nkeySeed"]), "NAQ_NATS_NKEY_SEED");
});

Deno.test("envVarNames() covers every leaf of the schema except queues", () => {
  const names = envVarNames().map((entry) => entry.name);
  for (
    const name of [
      "NAQ_NATS_SERVERS",
      "NAQ_NATS_PASS",
      "NAQ_NATS_TLS_CA",
      "NAQ_NATS_RECONNECT_MAX_ATTEMPTS",
      "NAQ_PREFIX",
      "NAQ_STREAMS_REPLICAS",
      "NAQ_QUEUE_DEFAULTS_MAX_IN_FLIGHT",
      "NAQ_QUEUE_DEFAULTS_MAX_STALLS",
      "NAQ_QUEUE_DEFAULTS_BACKOFF_DELAYS",
      "NAQ_WORKER_SHUTDOWN_TIMEOUT",
      "NAQ_SCHEDULER_LEASE",
      "NAQ_EVENTS_MAX_BYTES",
      "NAQ_RESULTS_TTL",
      "NAQ_DASHBOARD_TOKEN",
    ]
  ) {
    assert.ok(names.includes(name), name);
  }
  assert.equal(names.length, 36);
  assert.ok(!names.some((name) => name.startsWith("NAQ_QUEUES")));
  assert.equal(new Set(names).size, names.length, "names are unique");
});

Deno.test("coerceString() converts numbers and booleans, but never empty text", () => {
  assert.equal(coerceString("integer", "10"), 10);
  assert.equal(coerceString("integer", " -1 "), -1);
  assert.equal(coerceString("number", "0.5"), 0.5);
  assert.equal(coerceString("integer", ""), "");
  assert.equal(coerceString("integer", "ten"), "ten");
  assert.equal(coerceString("boolean", "TRUE"), true);
  assert.equal(coerceString("boolean", "false"), false);
  assert.equal(coerceString("boolean", "yes"), "yes");
  assert.deepEqual(coerceString("durations", "1s, 2m"), ["1s", "2m"]);
  assert.deepEqual(coerceString("durations", ""), []);
  assert.equal(coerceString("duration", "30"), "30");
  assert.equal(coerceString(undefined, "10"), "10");
});

Deno.test("unknownEnvVarWarnings() names a misspelt NAQ_ variable with the one it likely meant", () => {
  assert.deepEqual(
    unknownEnvVarWarnings([
      "NAQ_WORKR_CONCURRENCY",
      "NAQ_WORKER_CONCURRENCY",
      "NAQ_CONFIG",
      "NAQ_ZZZ",
      "HOME",
      "NATS_URL",
    ]),
    [
      "unknown environment variable NAQ_WORKR_CONCURRENCY is ignored; " +
      "did you mean NAQ_WORKER_CONCURRENCY?",
      "unknown environment variable NAQ_ZZZ is ignored",
    ],
  );
});
