/**
 * The README's Tracing set-up runs as written: with it installed, a job enqueued inside a
 * request's span is traced into that request, through a worker, to the console exporter.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../helpers/nats_server.ts";

const root = new URL("../..", import.meta.url).pathname;

function tracingSnippet(): string {
  const readme = Deno.readTextFileSync(`${root}README.md`);
  const section = readme.slice(readme.indexOf("## Tracing"), readme.indexOf("## Guarantees"));
  const snippet = section.match(/```ts\n([\s\S]*?)```/)?.[1];
  assert.ok(snippet?.includes("setGlobalTracerProvider"), "the Tracing section has a set-up");
  return snippet!;
}

Deno.test("the README's tracing set-up traces a job into the request that enqueued it", async () => {
  await using server = await startNatsServer();
  const dir = await Deno.makeTempDir({ prefix: "h_metrics_readme_" });
  try {
    const script = `${dir}/traced.ts`;
    await Deno.writeTextFile(
      script,
      `${tracingSnippet()}
import { createConfig, defineTask, Queue, Worker } from "${root}mod.ts";
const config = createConfig({ nats: { servers: ["${server.url}"] } });
const hello = defineTask("hello", () => "hi");
await using queue = new Queue("greetings", { config });
await using worker = new Worker("greetings", [hello], { config, handleSignals: false });
void worker.run();
await trace.getTracer("app").startActiveSpan("GET /hello", async (span) => {
  await (await queue.enqueue(hello, null)).result({ timeout: "30s" });
  span.end();
});
await worker.close();
await provider.shutdown();
`,
    );
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--cached-only", "--config", `${root}deno.json`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    assert.ok(run.success, new TextDecoder().decode(run.stderr));
    // the console exporter prints each span as an object: its trace id, then its name
    const spans = [...stdout.matchAll(/traceId: "([0-9a-f]{32})",[\s\S]*?name: "([^"]+)"/g)]
      .map(([, traceId, name]) => ({ traceId, name }));
    const names = spans.map((span) => span.name).sort();
    assert.deepEqual(names, ["GET /hello", "naq enqueue hello", "naq run hello", "naq wait hello"]);
    assert.equal(new Set(spans.map((span) => span.traceId)).size, 1, "one trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
