/** Runs one bench file with `deno bench --json` and returns its results, for bench reports. */

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
