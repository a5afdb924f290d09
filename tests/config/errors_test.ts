import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { configRejectionOf, envOf, tempProject, yaml } from "./_fixture.ts";

/** The message a user sees for `text` as ./naq.yaml, with `vars` as the environment. */
async function messageFor(text: string, vars: Record<string, string> = {}) {
  await using project = await tempProject({ "naq.yaml": text });
  const message = await configRejectionOf(
    loadConfig({ cwd: project.dir, home: project.home, env: envOf(vars) }),
  );
  return message.replaceAll(project.dir, "/x");
}

Deno.test("a YAML syntax error names the file, line and column", async () => {
  const message = await messageFor(yaml`
    worker:
      concurrency: 4
    queues: [emails
    prefix: app
  `);
  assert.equal(
    message,
    "/x/naq.yaml:4:1: YAML syntax error: " +
      "Flow sequence in block collection must be sufficiently indented and end with a ]",
  );
});

Deno.test("a duplicate key is a syntax error at the second occurrence", async () => {
  assert.equal(
    await messageFor("prefix: a\nprefix: b\n"),
    "/x/naq.yaml:2:1: YAML syntax error: Map keys must be unique",
  );
});

Deno.test("a value of the wrong type names its line, column, key path and the value", async () => {
  const message = await messageFor(yaml`
    nats:
      name: api
    worker:
      concurrency: ten
  `);
  assert.equal(
    message,
    'Invalid configuration in /x/naq.yaml:\n  line 4, column 16: worker.concurrency: expected an integer >= 1, got "ten"',
  );
});

Deno.test("an unknown key points at the key and suggests the closest valid one", async () => {
  const message = await messageFor(yaml`
    events:
      enabled: true
      maxage: 3d
    queueDefaults:
      backof:
        delay: 1s
    concurrency: 4
    colour: blue
  `);
  assert.equal(
    message,
    [
      "Invalid configuration in /x/naq.yaml:",
      '  line 3, column 3: events.maxage: unknown key; did you mean "maxAge"?',
      '  line 5, column 3: queueDefaults.backof: unknown key; did you mean "backoff"?',
      '  line 7, column 1: concurrency: unknown key; did you mean "worker.concurrency"?',
      "  line 8, column 1: colour: unknown key; expected one of nats, prefix, streams, " +
      "queueDefaults, queues, worker, scheduler, events, results, dashboard",
    ].join("\n"),
  );
});

Deno.test("a bad duration says what a duration looks like", async () => {
  const message = await messageFor(yaml`
    queueDefaults:
      ackWait: 30 seconds
  `);
  assert.equal(
    message,
    'Invalid configuration in /x/naq.yaml:\n  line 2, column 12: queueDefaults.ackWait: expected a duration such as "30s", "5m" or "2h", got "30 seconds"',
  );
});

Deno.test("a missing variable without a default suggests one", async () => {
  const message = await messageFor(yaml`
    nats:
      servers: \${NATS_URL}
    queueDefaults:
      ackWait: \${ACK_WAIT}
  `);
  assert.equal(
    message,
    [
      "Invalid configuration in /x/naq.yaml:",
      "  line 2, column 12: nats.servers: environment variable NATS_URL is not set; " +
      "set it or give a default: ${NATS_URL:-nats://127.0.0.1:4222}",
      "  line 4, column 12: queueDefaults.ackWait: environment variable ACK_WAIT is not set; " +
      "set it or give a default: ${ACK_WAIT:-30s}",
    ].join("\n"),
  );
});

Deno.test("a bad queue name, a bad server and a bad list element are each located", async () => {
  const message = await messageFor(yaml`
    nats:
      servers:
        - nats://ok:4222
        - http://web:80
    queues:
      "email jobs":
        attempts: 2
      reports:
        backoff:
          type: list
          delays: [1s, soon]
  `);
  assert.equal(
    message,
    [
      "Invalid configuration in /x/naq.yaml:",
      '  line 4, column 7: nats.servers[1]: expected a server such as "nats://host:4222" or "host:4222", got "http://web:80"',
      `  line 6, column 3: queues."email jobs": expected a queue name: it contains a space; use 1 to 214 letters, digits, "_" and "-" (so that its consumer's name fits NATS's limit of 255 characters), got "email jobs"`,
      '  line 11, column 20: queues.reports.backoff.delays[1]: expected a duration such as "30s", "5m" or "2h", got "soon"',
    ].join("\n"),
  );
});

Deno.test("a mapping expected where a scalar is written, and an empty value", async () => {
  const message = await messageFor("worker: 4\nprefix:\n");
  assert.equal(
    message,
    [
      "Invalid configuration in /x/naq.yaml:",
      "  line 1, column 9: worker: expected a mapping of settings, got 4",
      `  line 2, column 1: prefix: expected a prefix of 1 to 32 letters, digits and "-" (no "_": it ends the prefix in stream names), other than "KV" (the start of NATS's KV bucket streams), got an empty value`,
    ].join("\n"),
  );
});

Deno.test("the top level of the file must be a mapping", async () => {
  assert.equal(
    await messageFor("- prefix: app\n"),
    "Invalid configuration in /x/naq.yaml:\n  line 1, column 1: expected a mapping of settings at the top level, got a list",
  );
});

Deno.test("a bad environment variable is named with its value", async () => {
  const message = await configRejectionOf(
    loadConfig({
      file: false,
      env: envOf({ NAQ_WORKER_CONCURRENCY: "ten", NAQ_EVENTS_ENABLED: "" }),
    }),
  );
  assert.equal(
    message,
    [
      "Invalid configuration in environment variables:",
      '  NAQ_WORKER_CONCURRENCY="ten": worker.concurrency: expected an integer >= 1, got "ten"',
      '  NAQ_EVENTS_ENABLED="": events.enabled: expected true or false, got ""',
    ].join("\n"),
  );
});

Deno.test("an empty numeric variable is an error, never 0", async () => {
  assert.match(
    await configRejectionOf(
      loadConfig({ file: false, env: envOf({ NAQ_NATS_RECONNECT_MAX_ATTEMPTS: "" }) }),
    ),
    /NAQ_NATS_RECONNECT_MAX_ATTEMPTS="": nats\.reconnect\.maxAttempts: expected an integer >= -1 \(-1 tries forever\), got ""/,
  );
});

Deno.test("problems in file, env and overrides are all listed, each under its source", async () => {
  await using project = await tempProject({ "naq.yaml": "worker:\n  concurrency: 0\n" });
  const message = await configRejectionOf(
    loadConfig({
      cwd: project.dir,
      env: envOf({ NAQ_STREAMS_REPLICAS: "9" }),
      overrides: { scheduler: { lease: "soon" } },
    }),
  );
  assert.equal(
    message.replaceAll(project.dir, "/x"),
    [
      "Invalid configuration in /x/naq.yaml:",
      "  line 2, column 16: worker.concurrency: expected an integer >= 1, got 0",
      "Invalid configuration in environment variables:",
      '  NAQ_STREAMS_REPLICAS="9": streams.replicas: expected an integer from 1 to 5, got 9',
      "Invalid configuration in overrides:",
      '  override: scheduler.lease: expected a duration such as "30s", "5m" or "2h", got "soon"',
    ].join("\n"),
  );
});

Deno.test("a bad value in the file is reported even when env overrides it", async () => {
  const message = await messageFor("worker:\n  concurrency: ten\n", {
    NAQ_WORKER_CONCURRENCY: "4",
  });
  assert.match(message, /line 2, column 16: worker\.concurrency: expected an integer >= 1/);
});

Deno.test("a rule spanning sources is reported where the offending value was written", async () => {
  const message = await messageFor(
    "queueDefaults:\n  backoff:\n    delays: []\n",
    { NAQ_QUEUE_DEFAULTS_BACKOFF_TYPE: "list" },
  );
  assert.equal(
    message,
    "Invalid configuration in /x/naq.yaml:\n" +
      '  line 3, column 13: queueDefaults.backoff.delays: expected a non-empty list of durations when backoff type is "list", got an empty list',
  );
});

Deno.test("a duration without a unit is refused in a file, quoted or not, showing the fix", async () => {
  const message = await messageFor(yaml`
    worker:
      heartbeat: 5
      shutdownTimeout: "30"
    queueDefaults:
      backoff: { type: list, delays: [1s, 10] }
    queues:
      emails: { ackWait: 60 }
  `);
  assert.equal(
    message,
    [
      "Invalid configuration in /x/naq.yaml:",
      '  line 2, column 14: worker.heartbeat: expected a duration with a unit; a number needs a unit: write "5s" for 5 seconds, or "5ms" (also m, h, d), got 5',
      '  line 3, column 20: worker.shutdownTimeout: expected a duration with a unit; a number needs a unit: write "30s" for 30 seconds, or "30ms" (also m, h, d), got "30"',
      '  line 5, column 39: queueDefaults.backoff.delays[1]: expected a duration with a unit; a number needs a unit: write "10s" for 10 seconds, or "10ms" (also m, h, d), got 10',
      '  line 7, column 22: queues.emails.ackWait: expected a duration with a unit; a number needs a unit: write "60s" for 60 seconds, or "60ms" (also m, h, d), got 60',
    ].join("\n"),
  );
});

Deno.test("a duration without a unit is refused in the environment, showing the fix", async () => {
  const message = await messageFor("", { NAQ_WORKER_HEARTBEAT: "5" });
  assert.match(message, /NAQ_WORKER_HEARTBEAT.*a number needs a unit: write "5s" for 5 seconds/);
});
