/** Runs bench/throughput_bench.ts and prints jobs/s for naq and raw JetStream, and their ratio. */
import { runBench } from "./_bench_report.ts";
import { JOBS } from "./_throughput_jobs.ts";

const results = await runBench("./throughput_bench.ts");
const naq = results.find((result) => result.baseline)!;
const raw = results.find((result) => !result.baseline)!;
const perSecond = (ns: number) => Math.round(JOBS / (ns / 1e9));
console.log(`naq:           ${perSecond(naq.avgNs)} jobs/s (${naq.name})`);
console.log(`raw JetStream: ${perSecond(raw.avgNs)} msgs/s (${raw.name})`);
console.log(`naq runs at ${(raw.avgNs / naq.avgNs * 100).toFixed(0)}% of raw JetStream's rate`);
