/**
 * naq beside raw JetStream and BullMQ, in one run on one machine: `deno task bench:compare`.
 *
 * Each system gets a fresh server (nats-server, or redis-server for BullMQ) and a Deno child
 * process of its own (bench/_compare_run.ts), holding its producer and its one worker, so
 * that each peak RSS and each server's message counts are that system's alone. The shape is
 * in bench/_compare_shape.ts: 20,000 no-op jobs enqueued in batches of 1,000, then processed
 * at concurrency 64 while the producer waits on every result, then 200 single jobs enqueued
 * and awaited one after another. It is a measurement, not a pass mark, and needs
 * redis-server (Debian: `apt-get install -y redis-server`), so CI does not run it.
 *
 * Prints a table of rates and latencies with naq's end-to-end ratios to the others, and the
 * messages per job each nats-server counted (`/varz` in_msgs, out_msgs), beside the Redis
 * commands per job BullMQ's connections sent.
 */
import { startNatsServer } from "../src/dev/nats_server.ts";
import { findRedisServer, startRedisServer } from "./_redis_server.ts";
import {
  BATCH,
  CONCURRENCY,
  JOBS,
  type PhaseMessages,
  SINGLES,
  type SystemName,
  type SystemReport,
  SYSTEMS,
} from "./_compare_shape.ts";

const CHILD_DEADLINE_MS = 15 * 60_000;
const LABELS: Record<SystemName, string> = {
  naq: "naq",
  raw: "raw JetStream",
  bullmq: "BullMQ",
};

/** One system's run: its report, or why there is none. */
type Outcome = { report: SystemReport; server: string } | { error: string; server: string };

/** Runs bench/_compare_run.ts for one system and parses the JSON line it prints last. */
async function runChild(args: string[]): Promise<SystemReport> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_compare_run.ts", import.meta.url).pathname, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_DEADLINE_MS);
  const output = await child.output();
  clearTimeout(timer);
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  const last = lines.pop() ?? "";
  for (const line of lines) console.error(line);
  if (!output.success || !last.startsWith("{")) {
    throw new Error(
      output.signal === "SIGKILL"
        ? `killed after ${CHILD_DEADLINE_MS / 60_000} minutes`
        : `exited with code ${output.code}${last ? `: ${last}` : ""}`,
    );
  }
  return JSON.parse(last) as SystemReport;
}

async function runSystem(system: SystemName, redisBinary: string): Promise<Outcome> {
  let server = "";
  try {
    if (system === "bullmq") {
      await using redis = await startRedisServer(redisBinary);
      server = `Redis ${redis.version}`;
      return { report: await runChild([system, String(redis.port)]), server };
    }
    await using nats = await startNatsServer();
    server = `nats-server ${(await nats.monitor<{ version: string }>("varz")).version}`;
    return { report: await runChild([system, nats.url, nats.monitorUrl]), server };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), server };
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const perSecond = (jobs: number, ms: number) => jobs / (ms / 1_000);
const endToEnd = (report: SystemReport) => perSecond(JOBS, report.enqueueMs + report.processMs);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function perJob(messages: PhaseMessages, jobs: number): string {
  const out = messages.out === undefined ? "" : ` / ${fmt(messages.out / jobs, 1)}`;
  return `${fmt(messages.in / jobs, 1)}${out}`;
}

function label(system: SystemName, outcome: Outcome): string {
  const version = "report" in outcome ? outcome.report.version : "";
  return `${LABELS[system]} (${[version, outcome.server].filter(Boolean).join(", ")})`;
}

// fail now, not after naq and raw JetStream have run for minutes
let redisBinary: string;
try {
  redisBinary = findRedisServer();
} catch (err) {
  console.error(`bench:compare: ${(err as Error).message}`);
  Deno.exit(1);
}

const outcomes = new Map<SystemName, Outcome>();
for (const system of SYSTEMS) {
  console.error(`bench:compare: running ${LABELS[system]}…`);
  outcomes.set(system, await runSystem(system, redisBinary));
}

console.log(
  `\n${fmt(JOBS)} no-op jobs enqueued in batches of ${fmt(BATCH)}, then processed by one ` +
    `worker at concurrency ${CONCURRENCY} while the producer waits on every result; then ` +
    `${SINGLES} single jobs, each enqueued and its result awaited before the next. Deno ` +
    `${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs; each system in its own ` +
    "process (producer and worker) on a fresh server.\n",
);
console.log("| system | enqueue/s | process/s | end to end/s | p50 / p99 ms | peak RSS MB |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [system, outcome] of outcomes) {
  if ("error" in outcome) {
    console.log(`| ${label(system, outcome)} | failed: ${outcome.error} | | | | |`);
    continue;
  }
  const { report } = outcome;
  const sorted = [...report.latenciesMs].sort((a, b) => a - b);
  console.log(
    `| ${label(system, outcome)} | ${fmt(perSecond(JOBS, report.enqueueMs))} | ` +
      `${fmt(perSecond(JOBS, report.processMs))} | ${fmt(endToEnd(report))} | ` +
      `${fmt(percentile(sorted, 0.5), 2)} / ${fmt(percentile(sorted, 0.99), 2)} | ` +
      `${fmt(report.peakRssBytes / 2 ** 20)} |`,
  );
}

const reported = (system: SystemName) => {
  const outcome = outcomes.get(system);
  return outcome && "report" in outcome ? outcome.report : undefined;
};
const naq = reported("naq");
const ratios = (["bullmq", "raw"] as const).map((other) => {
  const theirs = reported(other);
  return naq && theirs
    ? `naq/${LABELS[other]} ${fmt(endToEnd(naq) / endToEnd(theirs), 2)}x`
    : `naq/${LABELS[other]} n/a`;
});
console.log(`\nend to end: ${ratios.join(", ")}`);

console.log(
  "\nmessages per job, client→server / server→client, from nats-server's /varz in_msgs / " +
    "out_msgs; for BullMQ, the Redis commands its connections sent (each has one reply)\n",
);
console.log("| system | enqueue | process (results included) | enqueue + process | single job |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [system, outcome] of outcomes) {
  const messages = "report" in outcome ? outcome.report.messages : undefined;
  if (!messages) continue;
  const bulk = {
    in: messages.enqueue.in + messages.process.in,
    out: messages.process.out === undefined
      ? undefined
      : messages.enqueue.out! + messages.process.out,
  };
  console.log(
    `| ${LABELS[system]}${system === "bullmq" ? " (Redis commands)" : ""} | ` +
      `${perJob(messages.enqueue, JOBS)} | ` +
      `${perJob(messages.process, JOBS)} | ${perJob(bulk, JOBS)} | ` +
      `${perJob(messages.singles, SINGLES)} |`,
  );
}

let failed = false;
for (const [system, outcome] of outcomes) {
  if ("error" in outcome) {
    failed = true;
    continue;
  }
  const { failures, logged } = outcome.report;
  if (failures.count > 0) {
    failed = true;
    console.log(
      `\n${LABELS[system]}: ${fmt(failures.count)} of ${fmt(JOBS + SINGLES)} jobs had no ` +
        `result: ${failures.messages.join("; ")}`,
    );
  }
  if (logged.length > 0) {
    console.log(`\n${LABELS[system]} logged:\n  ${logged.join("\n  ")}`);
  }
}
if (failed) Deno.exit(1);
