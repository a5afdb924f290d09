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

Deno.test("only src/services/ imports @nats-io/*", async () => {
  const importers = await filesMatching(/from\s+["'](npm:)?@nats-io\//, [
    "src",
    "mod.ts",
    "cli.ts",
  ]);
  assert.ok(importers.length > 0, "the scan found the services' own imports");
  assert.deepEqual(importers.filter((path) => !path.startsWith("src/services/")), []);
});

Deno.test("src/core/ does no I/O and reads neither the clock nor the environment", async () => {
  assert.ok((await filesMatching(/./, ["src/core"])).length > 0, "the scan found src/core/");
  const impure = await filesMatching(
    /\bDeno\.|\bDate\.now\(|new Date\(\)|\bperformance\.now\(|\bfetch\(|\bset(Timeout|Interval)\(/,
    ["src/core"],
  );
  assert.deepEqual(impure, []);
});
