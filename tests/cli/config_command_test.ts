import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfig, redactConfig } from "../../src/config/mod.ts";
import { STARTER_CONFIG } from "../../src/config/starter_file.ts";
import { tempProject, yaml } from "../config/_fixture.ts";
import { runNaq } from "./_naq.ts";

/**
 * Runs `naq <args>` in `cwd` with no server configured, only the environment given and its
 * home in the project, so the machine's NAQ_* and files can't leak in.
 */
function naq(cwd: string, args: string[], env: Record<string, string> = {}, permissions = ["-A"]) {
  return runNaq(null, args, { cwd, env: { HOME: join(cwd, "home"), ...env }, permissions });
}

const GOOD = yaml`
  nats:
    servers: nats://a:4222
    token: s3cret
  worker:
    concurrency: 4
`;

Deno.test("naq config show prints every setting, its value and its source", async () => {
  await using project = await tempProject({ "naq.yaml": GOOD });
  const file = join(project.dir, "naq.yaml");
  const { code, stdout, stderr } = await naq(project.dir, ["config", "show"], {
    NAQ_WORKER_HEARTBEAT: "2s",
  });
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0], /^KEY\s+VALUE\s+SOURCE$/);
  const row = (key: string) => lines.find((line) => line.startsWith(`${key} `))?.split(/\s{2,}/);
  assert.deepEqual(row("nats.servers"), ["nats.servers", "nats://a:4222", `${file}:2`]);
  assert.deepEqual(row("nats.token"), ["nats.token", "<redacted>", `${file}:3`]);
  assert.deepEqual(row("worker.concurrency"), ["worker.concurrency", "4", `${file}:5`]);
  assert.deepEqual(row("worker.heartbeat"), ["worker.heartbeat", "2s", "env NAQ_WORKER_HEARTBEAT"]);
  assert.deepEqual(row("events.maxBytes"), ["events.maxBytes", "1GiB", "default"]);
  assert.ok(!stdout.includes("s3cret"));
  // The columns line up.
  const valueColumn = lines[0].indexOf("VALUE");
  assert.ok(lines.every((line) => line[valueColumn - 1] === " " && line[valueColumn] !== " "));
});

Deno.test("naq config show --json prints { file, config, sources } with secrets redacted", async () => {
  await using project = await tempProject({ "conf/naq.yaml": GOOD });
  const file = join(project.dir, "conf/naq.yaml");
  const { code, stdout } = await naq(project.dir, ["config", "show", "--config", file, "--json"]);
  assert.equal(code, 0);
  const shown = JSON.parse(stdout);
  assert.deepEqual(Object.keys(shown), ["file", "config", "sources"]);
  assert.equal(shown.file, file);
  assert.deepEqual(shown.config.nats.servers, ["nats://a:4222"]);
  assert.equal(shown.config.nats.token, "<redacted>");
  assert.equal(shown.config.worker.concurrency, 4);
  assert.equal(shown.config.queueDefaults.ackWait, 30_000);
  assert.equal(shown.sources["worker.concurrency"], `${file}:5`);
  assert.equal(shown.sources["results.ttl"], "default");
});

Deno.test("naq config validate names the file it checked and exits 0", async () => {
  await using project = await tempProject({ "naq.yaml": GOOD });
  const { code, stdout } = await naq(project.dir, ["config", "validate"]);
  assert.equal(code, 0);
  assert.equal(stdout, `Configuration is valid (${join(project.dir, "naq.yaml")})\n`);
});

Deno.test("naq config validate without a file says so", async () => {
  await using project = await tempProject();
  const { code, stdout } = await naq(project.dir, ["config", "validate"], {
    NAQ_WORKER_CONCURRENCY: "3",
  });
  assert.equal(code, 0);
  assert.equal(stdout, "Configuration is valid (defaults and environment only)\n");
});

Deno.test("naq config validate warns of a misspelt NAQ_ variable on stderr, and passes", async () => {
  await using project = await tempProject();
  const { code, stdout, stderr } = await naq(project.dir, ["config", "validate"], {
    NAQ_WORKR_CONCURRENCY: "3",
  });
  assert.equal(code, 0);
  assert.equal(stdout, "Configuration is valid (defaults and environment only)\n");
  assert.match(
    stderr,
    /naq: unknown environment variable NAQ_WORKR_CONCURRENCY is ignored; did you mean NAQ_WORKER_CONCURRENCY\?/,
  );
});

Deno.test("naq config validate prints every problem of a bad file and exits 1", async () => {
  await using project = await tempProject({
    "naq.yaml": yaml`
      worker:
        concurrency: ten
      events:
        maxage: 3d
    `,
  });
  const file = join(project.dir, "naq.yaml");
  const { code, stdout, stderr } = await naq(project.dir, ["config", "validate", "--config", file]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    [
      `naq: Invalid configuration in ${file}:`,
      '  line 2, column 16: worker.concurrency: expected an integer >= 1, got "ten"',
      '  line 4, column 3: events.maxage: unknown key; did you mean "maxAge"?',
      "",
    ].join("\n"),
  );
});

Deno.test("naq config show exits 1 on a missing --config file, 2 on a bad option", async () => {
  await using project = await tempProject();
  const missing = await naq(project.dir, ["config", "show", "--config", "nope.yaml"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `naq: Config file not found: ${join(project.dir, "nope.yaml")}\n`);
  const usage = await naq(project.dir, ["config", "show", "--bogus"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown option '--bogus'/);
});

Deno.test("naq config validate works with least privilege and names the flag it lacks", async () => {
  await using project = await tempProject({ "naq.yaml": "prefix: ${PREFIX:-app}\n" });
  const least = ["--allow-read", "--allow-env=NAQ_*,LOG_TOKENS,LOG_STREAM,PREFIX"];
  const ok = await naq(project.dir, ["config", "validate"], {}, least);
  assert.equal(ok.stderr, "");
  assert.equal(ok.code, 0);
  const denied = await naq(project.dir, ["config", "validate"], {}, ["--allow-read"]);
  assert.equal(denied.code, 1);
  assert.equal(
    denied.stderr,
    "naq: Cannot read environment variable NAQ_CONFIG: permission denied; " +
      "run with --allow-env=NAQ_* or --allow-env\n",
  );
});

Deno.test("naq config init writes a starter naq.yaml that validates, and never overwrites by accident", async () => {
  await using project = await tempProject({});
  const written = await naq(project.dir, ["config", "init"]);
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, `Wrote ${project.dir}/naq.yaml; naq config validate checks it\n`);
  assert.equal(await Deno.readTextFile(join(project.dir, "naq.yaml")), STARTER_CONFIG);
  const valid = await naq(project.dir, ["config", "validate", "--json"]);
  assert.deepEqual(JSON.parse(valid.stdout), { valid: true, file: join(project.dir, "naq.yaml") });

  const again = await naq(project.dir, ["config", "init"]);
  assert.equal(again.code, 1);
  assert.equal(
    again.stderr,
    `naq: ${project.dir}/naq.yaml exists already; edit it, or pass --force to overwrite it\n`,
  );
  const forced = await naq(project.dir, ["config", "init", "--force", "--json"]);
  assert.deepEqual(JSON.parse(forced.stdout), { written: join(project.dir, "naq.yaml") });
});

Deno.test("naq config init, then config validate, pass with the README's least permissions", async () => {
  await using project = await tempProject({});
  // the README's flags for config init, and for config validate with a naq.yaml there
  const init = ["--allow-read", "--allow-env=NAQ_*,HOME", "--allow-write=naq.yaml"];
  const validate = ["--allow-read", "--allow-env=NAQ_*,HOME,LOG_TOKENS,LOG_STREAM"];
  const written = await naq(project.dir, ["config", "init"], {}, init);
  assert.equal(written.code, 0, written.stderr);
  const valid = await naq(
    project.dir,
    ["config", "validate"],
    { NATS_URL: "nats://x:1" },
    validate,
  );
  assert.equal(valid.stderr, "");
  assert.equal(valid.code, 0);
  // every setting it resolves to is the default
  const shown = await naq(project.dir, ["config", "show", "--json"], {}, validate);
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual(JSON.parse(shown.stdout).config, redactConfig(defaultConfig()));
});
