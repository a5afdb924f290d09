/**
 * Metrics off cost nothing: prom-client is imported only by the modules a worker loads when
 * it is given `metrics` (a dynamic import), never by what `mod.ts` loads on its own.
 */
import assert from "node:assert/strict";

interface Dependency {
  readonly code?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}
interface Module {
  readonly specifier: string;
  readonly dependencies?: readonly Dependency[];
}

/** The modules `root` loads before running anything: its static, non-type-only imports. */
async function staticGraph(root: string): Promise<Set<string>> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(root, import.meta.url).pathname],
    stdout: "piped",
  }).output();
  assert.ok(info.success, "deno info ran");
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    roots: string[];
    modules: Module[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(graph.modules.map((module) => [module.specifier, module]));
  const reached = new Set<string>();
  const visit = (specifier: string) => {
    const resolved = graph.redirects[specifier] ?? specifier;
    if (reached.has(resolved)) return;
    reached.add(resolved);
    for (const dependency of bySpecifier.get(resolved)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) visit(dependency.code.specifier);
    }
  };
  graph.roots.forEach(visit);
  return reached;
}

Deno.test("mod.ts and the worker load prom-client only when metrics are asked for", async () => {
  for (const root of ["../../mod.ts", "../../src/worker.ts"]) {
    const loaded = [...await staticGraph(root)];
    assert.ok(loaded.some((specifier) => specifier.endsWith("/src/worker.ts")), root);
    assert.deepEqual(loaded.filter((specifier) => /prom-client/.test(specifier)), [], root);
  }
});
