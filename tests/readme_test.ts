import assert from "node:assert/strict";
import { defaultConfig, loadConfig } from "../src/config/mod.ts";
import { STARTER_CONFIG } from "../src/config/starter_file.ts";
import { startNatsServer } from "./helpers/nats_server.ts";

const root = new URL("..", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);

function codeBlocks(language: string): string[] {
  return [...readme.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))]
    .map((match) => match[1]);
}

Deno.test("the README's quick start runs against a real server and prints the result", async () => {
  const [quickStart] = codeBlocks("ts");
  assert.ok(quickStart?.includes("new Worker"), "the README has a quick start");
  await using server = await startNatsServer();
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/quick_start.ts`;
    await Deno.writeTextFile(script, quickStart.replaceAll("jsr:@naq/naq", `${root}mod.ts`));
    // The script ends by itself only once its `await using` closed the worker and the queue: an
    // open connection or a running worker would keep it alive. So it has a generous deadline,
    // which a loaded machine does not reach, and a script that hangs fails instead of hanging.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), 120_000);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", `${root}deno.json`, script],
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
