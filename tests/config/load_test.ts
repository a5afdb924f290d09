import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfig, loadConfig, resolveConfig } from "../../src/config/mod.ts";
import { candidateFiles } from "../../src/config/find_file.ts";
import { configRejectionOf, envOf, tempProject, yaml } from "./_fixture.ts";

Deno.test("resolveConfig() takes defaults < file < env < overrides, and names each source", async () => {
  await using project = await tempProject();
  const file = await project.write(
    "naq.yaml",
    yaml`
      worker:
        concurrency: 2
        heartbeat: 1s
        shutdownTimeout: 1m
      prefix: fromfile
    `,
  );
  const resolved = await resolveConfig({
    cwd: project.dir,
    home: project.home,
    env: envOf({ NAQ_WORKER_HEARTBEAT: "2s", NAQ_WORKER_SHUTDOWN_TIMEOUT: "2m" }),
    overrides: { worker: { shutdownTimeout: "3m" } },
  });
  assert.equal(resolved.file, file);
  assert.deepEqual(resolved.config.worker, {
    concurrency: 2,
    heartbeat: 2_000,
    shutdownTimeout: 180_000,
    scheduler: true,
  });
  assert.equal(resolved.config.prefix, "fromfile");
  assert.equal(resolved.sources["worker.concurrency"], `${file}:2`);
  assert.equal(resolved.sources["prefix"], `${file}:5`);
  assert.equal(resolved.sources["worker.heartbeat"], "env NAQ_WORKER_HEARTBEAT");
  assert.equal(resolved.sources["worker.shutdownTimeout"], "override");
  assert.equal(resolved.sources["scheduler.lease"], "default");
});

Deno.test("resolveConfig() lists a source for every leaf, queues included", async () => {
  await using project = await tempProject({
    "naq.yaml": "queues:\n  emails:\n    backoff:\n      delay: 5s\n",
  });
  const { sources } = await resolveConfig({ cwd: project.dir, env: envOf() });
  assert.equal(sources["queues.emails.backoff.delay"], `${project.dir}/naq.yaml:4`);
  assert.equal(sources["nats.servers"], "default");
  assert.equal(sources["queueDefaults.backoff.delays"], "default");
  const defaults = await resolveConfig({ file: false, env: envOf() });
  assert.deepEqual(
    Object.keys(sources).toSorted(),
    [...Object.keys(defaults.sources), "queues.emails.backoff.delay"].toSorted(),
  );
  assert.ok(Object.values(defaults.sources).every((source) => source === "default"));
});

Deno.test("loadConfig() with file: false reads no file, only env and overrides", async () => {
  await using project = await tempProject({ "naq.yaml": "prefix: ignored\n" });
  const config = await loadConfig({
    file: false,
    cwd: project.dir,
    env: envOf({ NAQ_PREFIX: "fromenv", NAQ_CONFIG: "/nonexistent.yaml" }),
  });
  assert.equal(config.prefix, "fromenv");
});

Deno.test("loadConfig() converts env strings to the types the schema expects", async () => {
  const config = await loadConfig({
    file: false,
    env: envOf({
      NAQ_NATS_SERVERS: "nats://a:4222,nats://b:4222",
      NAQ_NATS_CONNECT_TIMEOUT: "10s",
      NAQ_NATS_RECONNECT_MAX_ATTEMPTS: "-1",
      NAQ_NATS_TLS_CA: "/etc/ca.pem",
      NAQ_QUEUE_DEFAULTS_BACKOFF_JITTER: "0.25",
      NAQ_QUEUE_DEFAULTS_BACKOFF_DELAYS: "1s, 10s",
      NAQ_QUEUE_DEFAULTS_BACKOFF_MAX_DELAY: "5m",
      NAQ_WORKER_CONCURRENCY: "10",
      NAQ_EVENTS_ENABLED: "false",
      NAQ_EVENTS_MAX_BYTES: "512MB",
    }),
  });
  assert.deepEqual(config.nats.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(config.nats.connectTimeout, 10_000);
  assert.equal(config.nats.reconnect.maxAttempts, -1);
  assert.deepEqual(config.nats.tls, { ca: "/etc/ca.pem" });
  assert.equal(config.queueDefaults.backoff.jitter, 0.25);
  assert.deepEqual(config.queueDefaults.backoff.delays, [1_000, 10_000]);
  assert.equal(config.queueDefaults.backoff.maxDelay, 300_000);
  assert.equal(config.worker.concurrency, 10);
  assert.equal(config.events.enabled, false);
  assert.equal(config.events.maxBytes, 512_000_000);
});

Deno.test("loadConfig() reads only the variables it names, never the whole environment", async () => {
  const asked: string[] = [];
  await loadConfig({
    cwd: "/nonexistent",
    home: "/nonexistent",
    env: (name) => {
      asked.push(name);
      return undefined;
    },
  });
  assert.ok(asked.every((name) => name.startsWith("NAQ_")), asked.join(","));
  assert.ok(asked.includes("NAQ_CONFIG"));
  assert.ok(asked.includes("NAQ_QUEUE_DEFAULTS_BACKOFF_MAX_DELAY"));
  assert.ok(!asked.includes("HOME"), "home was given, so HOME is not read");
});

Deno.test("loadConfig() merges a file's queues with override queues", async () => {
  await using project = await tempProject({
    "naq.yaml": "queues:\n  emails:\n    attempts: 5\n",
  });
  const config = await loadConfig({
    cwd: project.dir,
    env: envOf(),
    overrides: { queues: { emails: { ackWait: "1m" }, reports: { attempts: 1 } } },
  });
  assert.deepEqual(config.queues, {
    emails: { attempts: 5, ackWait: 60_000 },
    reports: { attempts: 1 },
  });
});

Deno.test("file search: the file option first, relative to cwd, and it must exist", async () => {
  await using project = await tempProject({
    "naq.yaml": "prefix: cwd\n",
    "conf/custom.yaml": "prefix: explicit\n",
  });
  const env = envOf({ NAQ_CONFIG: join(project.dir, "naq.yaml") });
  const resolved = await resolveConfig({ file: "conf/custom.yaml", cwd: project.dir, env });
  assert.equal(resolved.config.prefix, "explicit");
  assert.equal(resolved.file, join(project.dir, "conf/custom.yaml"));
  assert.equal(
    await configRejectionOf(resolveConfig({ file: "missing.yaml", cwd: project.dir, env })),
    `Config file not found: ${join(project.dir, "missing.yaml")}`,
  );
});

Deno.test("file search: NAQ_CONFIG before the search path, and it must exist", async () => {
  await using project = await tempProject({
    "naq.yaml": "prefix: cwd\n",
    "elsewhere.yaml": "prefix: fromenv\n",
  });
  const named = await loadConfig({
    cwd: project.dir,
    env: envOf({ NAQ_CONFIG: join(project.dir, "elsewhere.yaml") }),
  });
  assert.equal(named.prefix, "fromenv");
  assert.equal(
    await configRejectionOf(
      loadConfig({ cwd: project.dir, env: envOf({ NAQ_CONFIG: "/nonexistent/naq.yaml" }) }),
    ),
    "Config file not found: /nonexistent/naq.yaml (named by NAQ_CONFIG)",
  );
});

Deno.test("file search: ./naq.yaml, then ./naq.yml, then ~/.config/naq/config.yaml", async () => {
  await using project = await tempProject({
    "naq.yml": "prefix: yml\n",
    "home/.config/naq/config.yaml": "prefix: home\n",
  });
  const home = join(project.dir, "home");
  const load = (env = envOf()) => resolveConfig({ cwd: project.dir, home, env });

  assert.equal((await load()).config.prefix, "yml");
  await project.write("naq.yaml", "prefix: yaml\n");
  assert.equal((await load()).config.prefix, "yaml");

  await Deno.remove(join(project.dir, "naq.yaml"));
  await Deno.remove(join(project.dir, "naq.yml"));
  const fromHome = await load();
  assert.equal(fromHome.config.prefix, "home");
  assert.equal(fromHome.file, join(home, ".config/naq/config.yaml"));

  // HOME from the environment when no home option is given.
  const viaEnv = await resolveConfig({ cwd: project.dir, env: envOf({ HOME: home }) });
  assert.equal(viaEnv.config.prefix, "home");
});

Deno.test("file search ends at /etc/naq/config.yaml", () => {
  assert.deepEqual(candidateFiles("/srv/app", "/home/u"), [
    "/srv/app/naq.yaml",
    "/srv/app/naq.yml",
    "/home/u/.config/naq/config.yaml",
    "/etc/naq/config.yaml",
  ]);
  assert.deepEqual(candidateFiles("/srv/app", undefined).at(-1), "/etc/naq/config.yaml");
});

Deno.test("an empty file or one with only comments means no settings", async () => {
  await using project = await tempProject({ "naq.yaml": "# nothing yet\n" });
  const resolved = await resolveConfig({ cwd: project.dir, env: envOf() });
  assert.equal(resolved.file, join(project.dir, "naq.yaml"));
  assert.equal(resolved.config.prefix, "naq");
});

Deno.test("loadConfig() reports a denied env permission with the flag to add", async () => {
  const denied = (name: string): string => {
    throw new Deno.errors.NotCapable(`Requires env access to "${name}"`);
  };
  assert.match(
    await configRejectionOf(loadConfig({ file: false, env: denied })),
    /Cannot read environment variable NAQ_\w+: permission denied; run with --allow-env=NAQ_\*/,
  );
});

Deno.test("resolveConfig() warns of a misspelt NAQ_ variable, and still loads", async () => {
  await using project = await tempProject();
  const warned: string[] = [];
  const resolved = await resolveConfig({
    cwd: project.dir,
    home: project.home,
    env: envOf({ NAQ_WORKR_CONCURRENCY: "8" }),
    envNames: ["NAQ_WORKR_CONCURRENCY"],
    warn: (message) => warned.push(message),
  });
  const expected = "naq: unknown environment variable NAQ_WORKR_CONCURRENCY is ignored; " +
    "did you mean NAQ_WORKER_CONCURRENCY?";
  assert.deepEqual(warned, [expected]);
  assert.deepEqual(resolved.warnings, [expected.slice("naq: ".length)]);
  assert.equal(resolved.config.worker.concurrency, defaultConfig().worker.concurrency);
});

Deno.test("loadConfig() refuses a YAML alias bomb with a ConfigError naming the file and line", async () => {
  await using project = await tempProject();
  const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const name of "bcdefg") {
    const previous = String.fromCharCode(name.charCodeAt(0) - 1);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
  }
  const file = await project.write("naq.yaml", levels.join("\n") + "\n");
  await assert.rejects(
    loadConfig({ cwd: project.dir, home: project.home, env: envOf({}) }),
    (err: Error) => {
      assert.equal(err.name, "ConfigError");
      assert.match(err.message, new RegExp(`^${file}:2:\\d+: YAML aliases expand past 1000`));
      return true;
    },
  );
});
