/**
 * Delayed jobs and schedules on server-fired messages, in one run: `deno task bench:scheduler`.
 *
 * A delayed job is a `Nats-Schedule: @at` message in its queue's stream, which the server turns
 * into the job's run message when due; no naq process keeps an index of them. A Worker runs in
 * a process of its own (bench/_worker_process.ts, with its scheduler replica, as deployed),
 * so that its CPU time can be read from /proc, as can this process's (the producer's) and the
 * nats-server's. On one fresh server:
 *
 * 1. The CPU each process uses over an idle window of {@linkcode IDLE_MS} with nothing
 *    pending; then {@linkcode PENDING} jobs due in an hour, enqueued with `enqueueMany` in
 *    batches of {@linkcode BATCH}: the enqueue rate, what the server holds for them, and the
 *    CPU each process uses over the same idle window while they wait.
 * 2. With those still pending, {@linkcode DUE} jobs due over {@linkcode DUE_OVER_MS} ms: how
 *    late each starts, as its handler's start time minus its `runAt`. Then the same shape as
 *    raw JetStream @at messages (bench/_scheduler_raw.ts): the server's own lateness, the floor.
 * 3. A schedule `every: 1s` for {@linkcode FIRINGS} firings, fired by the worker's scheduler
 *    replica: how late each firing's job starts, minus the instant it fired for.
 *
 * It prints figures, not a pass mark. It exits 1 only when jobs did not run when they should
 * have (or ran when they should not), as that is a bug, not a figure.
 */
import { createConfig } from "../src/config/mod.ts";
import { wireNames } from "../src/core/names.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { type JobHandle, Queue } from "../src/queue.ts";
import { ServiceManager } from "../src/services/core/service_manager.ts";
import { cpuSeconds, percentile, rssBytes } from "./_bench_report.ts";
import { rawScheduledLateness } from "./_scheduler_raw.ts";

const QUEUE = "bench";
const PENDING = 100_000;
const BATCH = 1_000;
const FAR_AWAY_MS = 3_600_000;
// after the enqueue, before the idle window: the tail of the enqueue (acks, GC) is not idling
const SETTLE_MS = 2_000;
const IDLE_MS = 20_000;
const DUE = 2_000;
const DUE_OVER_MS = 4_000;
// time to enqueue the due jobs before the first is due
const DUE_LEAD_MS = 2_000;
const FIRINGS = 10;
// how long after the last is due a job may still start before it counts as not fired
const GRACE_MS = 10_000;

/** A handler start, as bench/_worker_process.ts reports it. */
interface Started {
  readonly task: string;
  readonly id: string;
  readonly attempt: number;
  readonly at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";
const mb = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MB`;

/** Polls `done` every 20 ms until it holds or `deadline` (ms since the epoch) passes. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Lateness figures of `latenessMs`, in ms. */
function spread(latenessMs: number[]): string {
  const sorted = [...latenessMs].sort((a, b) => a - b);
  return [0.5, 0.99, 1].map((p) => fmt(percentile(sorted, p))).join(" / ") +
    ` (min ${fmt(sorted[0] ?? NaN)})`;
}

await using server = await startNatsServer();
const serverPid = server.pid!;
const { version: serverVersion } = await server.monitor<{ version: string }>("varz");
const config = createConfig({ nats: { servers: [server.url] } });
await using services = new ServiceManager(config);
await using queue = new Queue(QUEUE, { services });
const stream = wireNames(config.prefix).queueStream(QUEUE);

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("./_worker_process.ts", import.meta.url).pathname,
    server.url,
    QUEUE,
    "ping",
    "later",
    "soon",
    "tick",
  ],
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const workerPid = child.pid;

// every handler start, first start by job id; a second start of a job is counted
const started = new Map<string, Started>();
const startedTwice: string[] = [];
const startedOf = (task: string) => [...started.values()].filter((s) => s.task === task);
const reading = (async () => {
  let buffer = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      const start = JSON.parse(line) as Started;
      if (started.has(start.id)) startedTwice.push(start.id);
      else started.set(start.id, start);
    }
  }
})();

const problems: string[] = [];
const rows: [string, string][] = [];
const row = (figure: string, value: string) => rows.push([figure, value]);

/** CPU seconds so far of the worker, this process (the producer) and the server. */
const cpu = async () => ({
  worker: await cpuSeconds(workerPid),
  producer: await cpuSeconds(Deno.pid),
  server: await cpuSeconds(serverPid),
});
type Cpu = Awaited<ReturnType<typeof cpu>>;

/** CPU seconds each process used over {@linkcode IDLE_MS} of doing nothing. */
async function idleCpu(): Promise<Cpu> {
  const before = await cpu();
  await sleep(IDLE_MS);
  const after = await cpu();
  return {
    worker: after.worker - before.worker,
    producer: after.producer - before.producer,
    server: after.server - before.server,
  };
}

interface StreamState {
  messages: number;
  bytes: number;
}
/** The queue's stream's state, from the server's /jsz. */
async function streamState(): Promise<StreamState | undefined> {
  const jsz = await server.monitor<{
    account_details?: { stream_detail?: { name: string; state: StreamState }[] }[];
  }>("jsz?streams=true");
  return jsz.account_details?.flatMap((account) => account.stream_detail ?? [])
    .find((detail) => detail.name === stream)?.state;
}

try {
  // the worker is up and pulling once a job enqueued now has started
  const ping = await queue.enqueue("ping", null);
  if (!await until(() => started.has(ping.id), Date.now() + 30_000)) {
    throw new Error("the worker process ran no job within 30 s of starting");
  }
  await sleep(SETTLE_MS);
  const idleEmpty = await idleCpu();
  const memoryBefore = { server: await rssBytes(serverPid), worker: await rssBytes(workerPid) };

  // 1. PENDING jobs due in an hour
  const farAway = Date.now() + FAR_AWAY_MS;
  const cpuBeforeEnqueue = await cpu();
  let enqueueMs = performance.now();
  for (let done = 0; done < PENDING; done += BATCH) {
    await queue.enqueueMany(
      Array.from({ length: Math.min(BATCH, PENDING - done) }, (_, i) => ({
        task: "later",
        payload: done + i,
        options: { runAt: farAway + done + i },
      })),
    );
  }
  enqueueMs = performance.now() - enqueueMs;
  const cpuAfterEnqueue = await cpu();
  row(
    `enqueue ${fmt(PENDING)} delayed jobs (batches of ${fmt(BATCH)})`,
    `${fmt(PENDING / (enqueueMs / 1_000))} jobs/s (${fmt(enqueueMs / 1_000, 1)} s)`,
  );
  row(
    "  CPU meanwhile: producer / worker / server",
    `${fmt(cpuAfterEnqueue.producer - cpuBeforeEnqueue.producer, 2)} / ` +
      `${fmt(cpuAfterEnqueue.worker - cpuBeforeEnqueue.worker, 2)} / ` +
      `${fmt(cpuAfterEnqueue.server - cpuBeforeEnqueue.server, 2)} s`,
  );

  await sleep(SETTLE_MS);
  const stats = await queue.stats();
  const state = await streamState();
  row("stats(): delayed / waiting", `${fmt(stats.delayed)} / ${fmt(stats.waiting)}`);
  if (stats.delayed !== PENDING) problems.push(`stats() says ${stats.delayed} delayed`);
  row(
    `stream ${stream}: messages / bytes (the warm-up job's record is one)`,
    state ? `${fmt(state.messages)} / ${mb(state.bytes)}` : "not in /jsz",
  );
  const memoryPending = { server: await rssBytes(serverPid), worker: await rssBytes(workerPid) };
  row(
    "nats-server RSS: before / with them pending",
    `${mb(memoryBefore.server)} / ${mb(memoryPending.server)}`,
  );
  row(
    "worker RSS: before / with them pending",
    `${mb(memoryBefore.worker)} / ${mb(memoryPending.worker)}`,
  );

  const idlePending = await idleCpu();
  const idleRow = (label: string, who: keyof Cpu) => {
    const perSecond = (seconds: number) => fmt(seconds * 1_000 / (IDLE_MS / 1_000), 1);
    row(
      label,
      `${fmt(idleEmpty[who], 2)} / ${fmt(idlePending[who], 2)} s ` +
        `(${perSecond(idleEmpty[who])} / ${perSecond(idlePending[who])} ms per s)`,
    );
  };
  idleRow(
    `CPU over ${IDLE_MS / 1_000} s idle, nothing / ${fmt(PENDING)} pending: worker`,
    "worker",
  );
  idleRow("  producer (this process, its connection open)", "producer");
  idleRow("  nats-server", "server");

  // 2. DUE jobs due over DUE_OVER_MS, with the PENDING still pending
  const firstDue = Date.now() + DUE_LEAD_MS;
  const due: JobHandle[] = [];
  for (let done = 0; done < DUE; done += BATCH) {
    due.push(
      ...await queue.enqueueMany(
        Array.from({ length: Math.min(BATCH, DUE - done) }, (_, i) => ({
          task: "soon",
          payload: done + i,
          options: { runAt: firstDue + Math.floor(((done + i) * DUE_OVER_MS) / DUE) },
        })),
      ),
    );
  }
  const enqueuedBy = Date.now();
  if (enqueuedBy > firstDue) {
    problems.push(
      `the due jobs took until ${enqueuedBy - firstDue} ms after the first was due to enqueue`,
    );
  }
  const cpuBeforeDue = await cpu();
  const lastDue = firstDue + DUE_OVER_MS;
  await until(() => due.every((job) => started.has(job.id)), lastDue + GRACE_MS);
  const cpuAfterDue = await cpu();
  const dueLateness = due.filter((job) => started.has(job.id))
    .map((job) => started.get(job.id)!.at - (job.job.state === "delayed" ? job.job.runAt : NaN));
  row(
    `${fmt(DUE)} jobs due over ${DUE_OVER_MS / 1_000} s: started`,
    `${fmt(dueLateness.length)} of ${fmt(DUE)}`,
  );
  row("  lateness p50 / p99 / max ms (handler start − runAt)", spread(dueLateness));
  row(
    "  worker CPU per due job (run and settled)",
    `${fmt((cpuAfterDue.worker - cpuBeforeDue.worker) * 1_000 / DUE, 2)} ms`,
  );
  if (dueLateness.length < DUE) {
    problems.push(`${DUE - dueLateness.length} of ${DUE} due jobs never started`);
  }
  const early = dueLateness.filter((ms) => ms < 0).length;
  if (early > 0) problems.push(`${early} due jobs started before their runAt`);

  // the floor: the server's own firing of the same shape, on the same server
  const raw = await rawScheduledLateness(server.url, DUE, DUE_OVER_MS, DUE_LEAD_MS, GRACE_MS);
  row(
    `raw JetStream: ${fmt(DUE)} @at messages, same shape: received`,
    `${fmt(raw.receivedMs.length)} of ${fmt(DUE)}`,
  );
  row("  lateness p50 / p99 / max ms (stored by the server − due)", spread(raw.storedMs));
  row("  lateness p50 / p99 / max ms (received − due)", spread(raw.receivedMs));
  if (raw.receivedMs.length < DUE) {
    problems.push(`raw JetStream: ${DUE - raw.receivedMs.length} of ${DUE} never arrived`);
  }

  // 3. a schedule every second, fired by the worker's scheduler replica
  const before = started.size;
  await queue.schedule("every-second", "tick", null, { every: "1s" }, { repeat: FIRINGS });
  const scheduledAt = Date.now();
  await until(() => startedOf("tick").length >= FIRINGS, scheduledAt + FIRINGS * 1_000 + GRACE_MS);
  const ticks = startedOf("tick");
  const tickLateness: number[] = [];
  for (const tick of ticks) {
    const record = await queue.getJob(tick.id);
    if (record?.schedule) tickLateness.push(tick.at - record.schedule.at);
    else problems.push(`the record of firing ${tick.id} has no schedule instant`);
  }
  row(
    `schedule every: 1s, repeat ${FIRINGS}: firings started`,
    `${fmt(ticks.length)} of ${FIRINGS}`,
  );
  row("  lateness p50 / p99 / max ms (handler start − instant)", spread(tickLateness));
  if (ticks.length < FIRINGS) {
    problems.push(`${FIRINGS - ticks.length} of ${FIRINGS} firings never started`);
  }
  if (started.size - before !== ticks.length) {
    problems.push(`${started.size - before - ticks.length} other jobs started during the schedule`);
  }

  const later = startedOf("later").length;
  if (later > 0) problems.push(`${later} of the jobs due in an hour started already`);
  if (startedTwice.length > 0) {
    problems.push(`${startedTwice.length} jobs started twice, such as ${startedTwice[0]}`);
  }
  const statsAfter = await queue.stats();
  row("stats() at the end: delayed", fmt(statsAfter.delayed));
  if (statsAfter.delayed !== PENDING) {
    problems.push(`${statsAfter.delayed} delayed at the end, where ${PENDING} are due in an hour`);
  }
} finally {
  child.kill("SIGTERM");
  await child.status;
  await reading.catch(() => {});
}

console.log(
  `\nnaq on nats-server ${serverVersion}, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} CPUs; one Worker process (concurrency 64, its scheduler ` +
    "replica on); CPU from /proc (10 ms steps).\n",
);
const width = Math.max(...rows.map(([figure]) => figure.length));
console.log(`| ${"figure".padEnd(width)} | value |`);
console.log(`| ${"-".repeat(width)} | --- |`);
for (const [figure, value] of rows) console.log(`| ${figure.padEnd(width)} | ${value} |`);
if (problems.length > 0) {
  console.log(`\nproblems:\n  ${problems.join("\n  ")}`);
  // not Deno.exit(): the server and the services are disposed on the way out
  Deno.exitCode = 1;
}
