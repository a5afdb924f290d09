/**
 * Helpers for bench reports: run a bench file with `deno bench --json` and read its results;
 * read a process's CPU time and memory from /proc; take percentiles.
 */

/** One benchmark's outcome. */
export interface BenchResult {
  /** The bench's name. */
  readonly name: string;
  /** Whether it is its group's baseline. */
  readonly baseline: boolean;
  /** Mean time per iteration, in nanoseconds. */
  readonly avgNs: number;
}

/** Runs `file` (relative to bench/) and returns every bench's mean time; exits 1 on failure. */
export async function runBench(file: string): Promise<BenchResult[]> {
  const path = new URL(file, import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "-A", "--json", path],
    stderr: "inherit",
  }).output();
  if (!output.success) {
    console.error(`bench: ${file} failed to run`);
    Deno.exit(1);
  }
  const report = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    benches: { name: string; baseline: boolean; results: { ok?: { avg: number } }[] }[];
  };
  return report.benches.map((bench) => {
    const avgNs = bench.results[0]?.ok?.avg;
    if (!avgNs) {
      console.error(`bench: ${file} has no result for "${bench.name}"`);
      Deno.exit(1);
    }
    return { name: bench.name, baseline: bench.baseline, avgNs };
  });
}

// USER_HZ on Linux: /proc counts CPU time in steps of 10 ms
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) process `pid` has used so far, from /proc (Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** The resident memory of process `pid` now, in bytes, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(await Deno.readTextFile(`/proc/${pid}/status`));
  return kb ? Number(kb[1]) * 1024 : NaN;
}

/** The `p`-quantile (0 to 1) of ascending `sorted`; `NaN` when it is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
