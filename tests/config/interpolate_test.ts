import assert from "node:assert/strict";
import { interpolate } from "../../src/config/interpolate.ts";
import { loadConfig, resolveConfig } from "../../src/config/mod.ts";
import { configRejectionOf, envOf, tempProject, yaml } from "./_fixture.ts";

const get = envOf({ HOST: "nats.internal", EMPTY: "", PORT: "4222" });

Deno.test("interpolate() replaces set variables, anywhere in the string", () => {
  assert.deepEqual(interpolate("nats://${HOST}:${PORT}", get), {
    ok: true,
    value: "nats://nats.internal:4222",
    changed: true,
  });
});

Deno.test("interpolate() uses the default when the variable is unset or empty", () => {
  const unset = interpolate("${MISSING:-a:1}", get);
  assert.ok(unset.ok && unset.value === "a:1");
  const empty = interpolate("${EMPTY:-fallback}", get);
  assert.ok(empty.ok && empty.value === "fallback");
  const blankDefault = interpolate("x${MISSING:-}y", get);
  assert.ok(blankDefault.ok && blankDefault.value === "xy");
  const set = interpolate("${HOST:-ignored}", get);
  assert.ok(set.ok && set.value === "nats.internal");
});

Deno.test("interpolate() reports a missing variable and a malformed reference", () => {
  assert.deepEqual(interpolate("${MISSING}", get), { ok: false, missing: "MISSING" });
  const bad = interpolate("${not a name}", get);
  assert.ok(!bad.ok && bad.missing === undefined && bad.malformed.includes("not a variable"));
  const open = interpolate("${HOST", get);
  assert.ok(!open.ok && open.missing === undefined && open.malformed.includes("unterminated"));
});

Deno.test("interpolate() keeps $${ as a literal ${ and leaves plain text alone", () => {
  const escaped = interpolate("cost $${HOST} and ${PORT}", get);
  assert.ok(escaped.ok && escaped.value === "cost ${HOST} and 4222");
  assert.deepEqual(interpolate("plain $text", get), {
    ok: true,
    value: "plain $text",
    changed: false,
  });
});

Deno.test("a file's ${VAR} values come from the environment, typed as the schema expects", async () => {
  await using project = await tempProject({
    "naq.yaml": yaml`
      nats:
        servers: \${NATS_URL}
        pass: \${NATS_PASS}
        name: "svc-$\${literal}"
      worker:
        concurrency: \${WORKERS:-4}
      events:
        enabled: \${EVENTS}
      queueDefaults:
        backoff:
          delays:
            - \${FIRST_DELAY}
            - 10s
    `,
  });
  const resolved = await resolveConfig({
    cwd: project.dir,
    env: envOf({
      NATS_URL: "nats://a:4222,nats://b:4222",
      NATS_PASS: "s3cret",
      EVENTS: "false",
      FIRST_DELAY: "500ms",
    }),
  });
  const config = resolved.config;
  assert.deepEqual(config.nats.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(config.nats.pass, "s3cret");
  assert.equal(config.nats.name, "svc-${literal}");
  assert.equal(config.worker.concurrency, 4);
  assert.equal(config.events.enabled, false);
  assert.deepEqual(config.queueDefaults.backoff.delays, [500, 10_000]);
  assert.equal(resolved.sources["worker.concurrency"], `${project.dir}/naq.yaml:6`);
});

Deno.test("an injected value cannot change the file's structure", async () => {
  await using project = await tempProject({ "naq.yaml": "nats:\n  name: ${NAME}\n" });
  const config = await loadConfig({
    cwd: project.dir,
    env: envOf({ NAME: "x\nprefix: hijacked\nworker: {concurrency: 99}" }),
  });
  assert.equal(config.nats.name, "x\nprefix: hijacked\nworker: {concurrency: 99}");
  assert.equal(config.prefix, "naq");
  assert.equal(config.worker.concurrency, 10);
});

Deno.test("a malformed reference in a file is located", async () => {
  await using project = await tempProject({ "naq.yaml": "prefix: ${bad-name}\n" });
  const message = await configRejectionOf(loadConfig({ cwd: project.dir, env: envOf() }));
  assert.equal(
    message.replaceAll(project.dir, "/x"),
    "Invalid configuration in /x/naq.yaml:\n" +
      '  line 1, column 9: prefix: "${bad-name}" is not a variable reference; ' +
      'write ${NAME} or ${NAME:-default}, or $${ for a literal "${"',
  );
});
