/**
 * Runs one system through the shape of bench/report_compare.ts, in a process of its own so
 * that its peak RSS is its own, and prints a {@linkcode SystemReport} as one JSON line:
 *
 * ```sh
 * deno run -A bench/_compare_run.ts naq|raw <nats url> <monitor url>
 * deno run -A bench/_compare_run.ts bullmq <redis port>
 * ```
 *
 * The phases: {@linkcode JOBS} jobs enqueued in batches of {@linkcode BATCH} with no worker
 * running; then one worker started at {@linkcode CONCURRENCY} while the producer waits on
 * every job's result; then {@linkcode SINGLES} jobs, each enqueued and its result awaited
 * before the next. The server's message counters are read between phases.
 */
import { naqSystem } from "./_compare_naq.ts";
import { rawSystem } from "./_compare_raw.ts";
import { bullmqSystem } from "./_compare_bullmq.ts";
import {
  BATCH,
  CONCURRENCY,
  JOBS,
  type Payload,
  type PhaseMessages,
  SINGLES,
  type SystemName,
  type SystemReport,
  SYSTEMS,
  type SystemUnderTest,
} from "./_compare_shape.ts";

const [name, address, monitorUrl] = Deno.args as [SystemName, string, string | undefined];
if (!SYSTEMS.includes(name) || !address) {
  console.error("usage: _compare_run.ts naq|raw <nats url> <monitor url> | bullmq <redis port>");
  Deno.exit(2);
}

const imports = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
) as { version: string; imports: Record<string, string> };
const pinned = (specifier: string) => imports.imports[specifier].split("@").at(-1);

const logged: string[] = [];
let system: SystemUnderTest;
let version: string;
let count: (() => Promise<PhaseMessages>) | undefined;
if (name === "bullmq") {
  const bullmq = bullmqSystem(Number(address), logged);
  system = bullmq as SystemUnderTest;
  version = `bullmq ${pinned("bullmq")}`;
  count = () => Promise.resolve({ in: bullmq.commandsSent() });
} else {
  system = (name === "naq" ? naqSystem(address, logged) : rawSystem(address)) as SystemUnderTest;
  version = name === "naq" ? `naq ${imports.version}` : `nats.js ${pinned("@nats-io/jetstream")}`;
  if (monitorUrl) {
    count = async () => {
      const varz = await (await fetch(`${monitorUrl}/varz`)).json();
      return { in: varz.in_msgs, out: varz.out_msgs };
    };
  }
}

const delta = (after: PhaseMessages, before: PhaseMessages): PhaseMessages => ({
  in: after.in - before.in,
  out: after.out === undefined ? undefined : after.out - before.out!,
});

let sampledRss = 0;
const sampling = setInterval(() => {
  sampledRss = Math.max(sampledRss, Deno.memoryUsage().rss);
}, 100);

// a lost result must not hang the bench: what has not settled by then counts as a failure
const BULK_DEADLINE_MS = 300_000;
const SINGLE_DEADLINE_MS = 30_000;

const failures: string[] = [];
const failed = (err: unknown) => {
  failures.push(err instanceof Error ? err.message : String(err));
};

/** Settles when every promise has, or after `ms`, counting the unsettled as failures. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let settled = 0;
  const all = Promise.all(promises.map((promise) => promise.finally(() => settled++)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
  if (await Promise.race([all, late]) === "late") {
    for (let i = settled; i < promises.length; i++) failed(`no result within ${ms / 1_000} s`);
  }
  clearTimeout(timer);
}

await system.prepare();
const payloads: Payload[] = Array.from({ length: JOBS }, (_, i) => ({ i }));

const beforeEnqueue = await count?.();
let started = performance.now();
const jobs: unknown[] = [];
for (let start = 0; start < JOBS; start += BATCH) {
  jobs.push(...await system.enqueueBatch(payloads.slice(start, start + BATCH)));
}
const enqueueMs = performance.now() - started;

const beforeProcess = await count?.();
started = performance.now();
// the producer waits on every result before the worker starts, as a caller of result() would
const results = jobs.map((job) => system.result(job).catch(failed));
await system.startWorker(CONCURRENCY);
await settleWithin(results, BULK_DEADLINE_MS);
const processMs = performance.now() - started;

const beforeSingles = await count?.();
const latenciesMs: number[] = [];
for (let i = 0; i < SINGLES; i++) {
  const start = performance.now();
  await settleWithin([system.roundTrip({ i: JOBS + i }).catch(failed)], SINGLE_DEADLINE_MS);
  latenciesMs.push(performance.now() - start);
}
const afterSingles = await count?.();

clearInterval(sampling);
const peakRssBytes = peakRss() ?? Math.max(sampledRss, Deno.memoryUsage().rss);
await system.close();

const report: SystemReport = {
  system: name,
  version,
  enqueueMs,
  processMs,
  latenciesMs,
  messages: beforeEnqueue && beforeProcess && beforeSingles && afterSingles
    ? {
      enqueue: delta(beforeProcess, beforeEnqueue),
      process: delta(beforeSingles, beforeProcess),
      singles: delta(afterSingles, beforeSingles),
    }
    : undefined,
  peakRssBytes,
  failures: { count: failures.length, messages: [...new Set(failures)].slice(0, 5) },
  logged: logged.slice(0, 20),
};
console.log(JSON.stringify(report));
// a client library may keep a timer alive after close: the report is out, so end here
Deno.exit(0);

/** The process's resident-memory high-water mark (Linux), in bytes. */
function peakRss(): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
