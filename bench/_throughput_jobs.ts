/** Jobs per iteration of bench/throughput_bench.ts, shared with its report. */
export const JOBS = 1_000;
