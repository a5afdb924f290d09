/**
 * Runs bench/connection_reuse_bench.ts and fails unless writing through one shared
 * ServiceManager (the group's baseline) is at least 20x faster than a manager per write.
 */
const MIN_RATIO = 20;

interface BenchReport {
  benches: { name: string; baseline: boolean; results: { ok?: { avg: number } }[] }[];
}

const bench = new URL("./connection_reuse_bench.ts", import.meta.url).pathname;
const output = await new Deno.Command(Deno.execPath(), {
  args: ["bench", "-A", "--json", bench],
  stderr: "inherit",
}).output();
if (!output.success) {
  console.error("bench: connection_reuse_bench.ts failed to run");
  Deno.exit(1);
}
const { benches } = JSON.parse(new TextDecoder().decode(output.stdout)) as BenchReport;
const shared = benches.find((bench) => bench.baseline);
const perCall = benches.find((bench) => !bench.baseline);
const sharedAvg = shared?.results[0]?.ok?.avg;
const perCallAvg = perCall?.results[0]?.ok?.avg;
if (!sharedAvg || !perCallAvg) {
  console.error("bench: the report lacks a result for the shared or the per-call case");
  Deno.exit(1);
}
const ratio = perCallAvg / sharedAvg;
const micros = (ns: number) => `${(ns / 1_000).toFixed(0)} µs`;
console.log(
  `connection reuse: "${shared!.name}" ${micros(sharedAvg)}, "${perCall!.name}" ` +
    `${micros(perCallAvg)}: ${ratio.toFixed(1)}x (needs >= ${MIN_RATIO}x)`,
);
if (ratio < MIN_RATIO) Deno.exit(1);
