/**
 * Runs bench/connection_reuse_bench.ts and fails unless writing through one shared
 * ServiceManager (the group's baseline) is at least 20x faster than a manager per write.
 */
import { runBench } from "./_bench_report.ts";

const MIN_RATIO = 20;

const results = await runBench("./connection_reuse_bench.ts");
const shared = results.find((result) => result.baseline)!;
const perCall = results.find((result) => !result.baseline)!;
const ratio = perCall.avgNs / shared.avgNs;
const micros = (ns: number) => `${(ns / 1_000).toFixed(0)} µs`;
console.log(
  `connection reuse: "${shared.name}" ${micros(shared.avgNs)}, "${perCall.name}" ` +
    `${micros(perCall.avgNs)}: ${ratio.toFixed(1)}x (needs >= ${MIN_RATIO}x)`,
);
if (ratio < MIN_RATIO) Deno.exit(1);
