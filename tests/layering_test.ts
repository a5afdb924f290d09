import assert from "node:assert/strict";

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

const projectRoot = new URL("..", import.meta.url).pathname;

/** The project-relative paths of the .ts files under `roots` whose text matches `pattern`. */
async function filesMatching(pattern: RegExp, roots: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const root of roots) {
    const absolute = projectRoot + root;
    const paths = root.endsWith(".ts") ? [absolute] : await Array.fromAsync(sourceFiles(absolute));
    for (const path of paths) {
      if (pattern.test(await Deno.readTextFile(path))) hits.push(path.slice(projectRoot.length));
    }
  }
  return hits.sort();
}

Deno.test("only the core services, in src/services/core/, import @nats-io/*", async () => {
  const importers = await filesMatching(/from\s+["'](npm:)?@nats-io\//, [
    "src",
    "mod.ts",
    "cli.ts",
  ]);
  assert.ok(importers.length > 0, "the scan found the core services' own imports");
  assert.deepEqual(importers.filter((path) => !path.startsWith("src/services/core/")), []);
});

Deno.test("nothing above the core services reaches the raw NATS connection or JetStream", async () => {
  const reaching = await filesMatching(/\.nc\b|\.jetstream\(|\.jetstreamManager\(/, [
    "src",
    "mod.ts",
    "cli.ts",
  ]);
  assert.ok(reaching.length > 0, "the scan found the core services' own use");
  assert.deepEqual(reaching.filter((path) => !path.startsWith("src/services/core/")), []);
});

Deno.test("the core services import nothing from the business services", async () => {
  const upward = await filesMatching(/from\s+["']\.\.\/business\//, ["src/services/core"]);
  assert.deepEqual(upward, []);
});

Deno.test("src/core/ imports nothing from src/config/ or the services", async () => {
  const upward = await filesMatching(/from\s+["']\.\.\/(config|services)\//, ["src/core"]);
  assert.deepEqual(upward, []);
});

Deno.test("src/core/ does no I/O and reads neither the clock nor the environment", async () => {
  assert.ok((await filesMatching(/./, ["src/core"])).length > 0, "the scan found src/core/");
  const impure = await filesMatching(
    /\bDeno\.|\bDate\.now\(|new Date\(\)|\bperformance\.now\(|\bfetch\(|\bset(Timeout|Interval)\(/,
    ["src/core"],
  );
  assert.deepEqual(impure, []);
});

Deno.test("src/ waits on real time only through the clock, or where a comment says why", async () => {
  const REAL_TIME =
    /\bsetTimeout\(|\bsetInterval\(|\bDate\.now\(|\bperformance\.now\(|\bAbortSignal\.timeout\(|\bsystemClock\.sleep\(/;
  const uncommented: string[] = [];
  for await (const path of sourceFiles(`${projectRoot}src`)) {
    if (path.endsWith("/src/clock.ts")) continue;
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines.forEach((line, i) => {
      if (!REAL_TIME.test(line) || /^\s*(\/\/|\*)/.test(line)) return;
      // the comment ends the line, or stands on one of the few lines above, over the statement
      const near = lines.slice(Math.max(0, i - 4), i + 1).join("\n");
      if (!/real time/.test(near)) uncommented.push(`${path.slice(projectRoot.length)}:${i + 1}`);
    });
  }
  assert.deepEqual(uncommented, []);
});
