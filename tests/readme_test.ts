import assert from "node:assert/strict";
import { defaultConfig, loadConfig } from "../src/config/mod.ts";
import { STARTER_CONFIG } from "../src/config/starter_file.ts";
import { ErrorCode, Queue } from "../mod.ts";
import { testConfig } from "./helpers/config.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { codeBlocks, readme, root } from "./helpers/readme.ts";

/**
 * A README script with its imports of the package (`jsr:@naq/naq` and its subpaths, which JSR
 * serves from deno.json's "exports") pointed at the files of this checkout.
 */
async function runnableScript(script: string): Promise<string> {
  const { exports } = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  return script.replaceAll(/"jsr:@naq\/naq(\/[a-z]+)?"/g, (specifier, subpath = "") => {
    const file = exports[`.${subpath}`];
    assert.ok(file, `the README imports ${specifier}, which deno.json does not export`);
    return JSON.stringify(new URL(file, `file://${root}`).pathname);
  });
}

/** The Quick start section: its script and the `deno run` command that runs it, as written. */
function quickStart(): { script: string; args: string[] } {
  const section = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("### Queue"));
  const script = section.match(/```ts\n([\s\S]*?)```/)?.[1];
  const command = section.match(/```sh\n[\s\S]*?^deno run (.*quick_start\.ts)$/m)?.[1];
  assert.ok(script !== undefined && script.includes("new Worker"), "the Quick start has a script");
  assert.ok(command, "the Quick start says how to run it");
  assert.match(section, /nats-server -js/, "the Quick start says to start a server");
  // the words of a shell line, with its single quotes taken off as the shell does
  const args = command.split(/\s+/).map((word) => word.replaceAll("'", ""));
  return { script, args };
}

Deno.test("the README's quick start runs as written against a real server, and leaves no schedule", async () => {
  const { script, args } = quickStart();
  assert.ok(!args.includes("-A") && args.includes("--no-prompt"), args.join(" "));
  await using server = await startNatsServer();
  const dir = await Deno.makeTempDir({ prefix: "readme12_" });
  try {
    await Deno.writeTextFile(
      `${dir}/quick_start.ts`,
      await runnableScript(script),
    );
    // The script ends by itself only once its `await using` closed the worker and the queue: an
    // open connection or a running worker would keep it alive. So it has a generous deadline,
    // which a loaded machine does not reach, and a script that hangs fails instead of hanging.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), 120_000);
    // the README's own flags; only --config is added, for the import map that lets `mod.ts`
    // (in place of jsr:@naq/naq) resolve its packages
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", `${root}deno.json`, ...args],
      cwd: dir,
      env: { NAQ_NATS_SERVERS: server.url },
      signal: deadline.signal,
    }).output().finally(() => clearTimeout(timer));
    // (a worker stops gracefully on the SIGTERM of the deadline: the exit code cannot tell)
    assert.ok(
      !deadline.signal.aborted,
      "the quick start did not end by itself within 120 s: something it opened stayed open",
    );
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const printed = new TextDecoder().decode(stdout);
    assert.match(printed, /sending to ada@example\.com/);
    assert.match(printed, /\{ sent: true \}\n[\s\S]*^delayed\n[\s\S]*\{ sent: true \}\n/m);
    assert.match(printed, /sending to grace@example\.com/);
    const next = printed.match(/^next digest (\S+)$/m)?.[1];
    assert.ok(next, printed);
    assert.ok(["1", "2", "3", "4", "5"].includes(String(new Date(next).getUTCDay())), next);
    // nothing is left to mail team@example.com every weekday
    await using queue = new Queue("emails", { config: testConfig(server.url) });
    assert.deepEqual(await queue.listSchedules(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's example configuration file is valid, sets only defaults, and is what config init writes", async () => {
  const [example] = codeBlocks("yaml");
  assert.equal(example, STARTER_CONFIG);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/naq.yaml`, example);
    // it reads no variable: with one set, it still resolves to the defaults
    const env = (name: string) => name === "NATS_URL" ? "nats://elsewhere:4222" : undefined;
    const config = await loadConfig({ file: `${dir}/naq.yaml`, env });
    assert.deepEqual(config, defaultConfig());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile builds the binary with the flags the README documents", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks;
  const documented = codeBlocks("sh").find((block) => block.startsWith("deno compile "));
  assert.ok(documented, "the README shows the compile command");
  assert.equal(tasks.compile, documented.trim());
  // the flags of `deno task naq`, which config init needs too: never a prompt, never -A
  const flags = (command: string) => command.split(" ").filter((word) => word.startsWith("--"));
  const naq = flags(tasks.naq);
  assert.deepEqual(flags(tasks.compile).filter((flag) => !flag.startsWith("--output")), naq);
  assert.ok(naq.includes("--no-prompt") && naq.includes("--allow-write=naq.yaml"), tasks.naq);
  // what it cannot run is said
  assert.match(readme, /The binary runs every command but `worker` and `dev`/);
});

Deno.test("the README's example under the hood runs, importing @naq/naq/services", async () => {
  const section = readme.slice(readme.indexOf("### Under the hood"), readme.indexOf("### How a"));
  const script = section.match(/```ts\n([\s\S]*?)```/)?.[1];
  assert.ok(script !== undefined && script.includes('from "jsr:@naq/naq/services"'), section);
  // run with the Quick start's flags: what a script of naq's needs
  const flags = quickStart().args.filter((arg) => arg.startsWith("--"));
  await using server = await startNatsServer();
  const dir = await Deno.makeTempDir({ prefix: "h-surface_" });
  try {
    await Deno.writeTextFile(`${dir}/services.ts`, await runnableScript(script));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", `${root}deno.json`, ...flags, "services.ts"],
      cwd: dir,
      env: { NAQ_NATS_SERVERS: server.url },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(new TextDecoder().decode(stdout), "naq_queue_emails no such stream\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's table of error codes lists every ErrorCode, by value and by name", () => {
  const section = readme.slice(readme.indexOf("### Errors"), readme.indexOf("### Under the hood"));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| `([A-Za-z]+)` +\|/gm)]
    .map(([, code, name]) => [name, code]);
  assert.deepEqual(rows, Object.entries(ErrorCode));
});
