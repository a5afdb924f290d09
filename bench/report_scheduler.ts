/**
 * The scheduler at scale: with 1,000 and then 100,000 delayed jobs pending, how late do due
 * jobs fire, and what CPU does the leader spend? A scheduler runs in its own process, whose
 * CPU time is read from /proc; `deno task bench:scheduler` prints a table.
 *
 * For each pending count: enqueue that many jobs due in an hour, start the scheduler and
 * wait until it has indexed them all, measure its CPU over an idle window, then enqueue
 * 2,000 jobs due over 4 seconds (500 a second) and measure how late each is published to
 * its queue (the `promoted` event's time minus the job's runAt), and the CPU meanwhile.
 */
import { createConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { Queue } from "../src/queue.ts";
import { ServiceManager } from "../src/services/service_manager.ts";

const DUE = 2_000;
const DUE_OVER_MS = 4_000;
const IDLE_MS = 3_000;
const CHUNK = 10_000;
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(pendingCount: number) {
  await using server = await startNatsServer();
  const config = createConfig({ nats: { servers: [server.url] } });
  await using services = new ServiceManager(config);
  await using queue = new Queue("bench", { services });

  const farAway = Date.now() + 3_600_000;
  const enqueueStart = performance.now();
  for (let done = 0; done < pendingCount; done += CHUNK) {
    const size = Math.min(CHUNK, pendingCount - done);
    await queue.enqueueMany(
      Array.from({ length: size }, (_, i) => ({
        task: "later",
        payload: done + i,
        options: { runAt: farAway + done + i },
      })),
    );
  }
  const enqueueMs = performance.now() - enqueueStart;

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_scheduler_process.ts", import.meta.url).pathname, server.url],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let status = { leading: false, delayed: 0 };
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const readStatus = (async () => {
    let buffer = "";
    while (true) {
      const { value, done } = await lines.read();
      if (done) return;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) status = JSON.parse(line);
    }
  })();
  try {
    const loadStart = performance.now();
    while (status.delayed < pendingCount) await sleep(20);
    const loadMs = performance.now() - loadStart;

    const idleCpu0 = await cpuSeconds(child.pid);
    await sleep(IDLE_MS);
    const idleCpuMs = (await cpuSeconds(child.pid) - idleCpu0) * 1_000;

    const promoted = new Map<string, number>();
    const stop = new AbortController();
    const events = queue.events({ types: ["promoted"], signal: stop.signal });
    const collecting = (async () => {
      for await (const event of events) promoted.set(event.jobId, event.at);
    })();
    const firstDue = Date.now() + 1_000;
    const handles = await queue.enqueueMany(
      Array.from({ length: DUE }, (_, i) => ({
        task: "soon",
        payload: i,
        options: { runAt: firstDue + Math.floor((i * DUE_OVER_MS) / DUE) },
      })),
    );
    const busyCpu0 = await cpuSeconds(child.pid);
    const deadline = firstDue + DUE_OVER_MS + 10_000;
    while (promoted.size < DUE && Date.now() < deadline) await sleep(50);
    const busyCpuMs = (await cpuSeconds(child.pid) - busyCpu0) * 1_000;
    stop.abort();
    await collecting;

    const lateness = handles
      .filter((handle) => promoted.has(handle.id))
      .map((handle) => promoted.get(handle.id)! - handle.job.runAt!)
      .sort((a, b) => a - b);
    const percentile = (p: number) =>
      lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))];
    return {
      pending: pendingCount,
      enqueueRate: Math.round(pendingCount / (enqueueMs / 1_000)),
      loadMs: Math.round(loadMs),
      idleCpuPerSecondMs: +(idleCpuMs / (IDLE_MS / 1_000)).toFixed(1),
      fired: `${lateness.length}/${DUE}`,
      p50: percentile(0.5),
      p99: percentile(0.99),
      max: lateness.at(-1),
      cpuPerFiringMs: +(busyCpuMs / DUE).toFixed(3),
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await readStatus.catch(() => {});
  }
}

const rows = [];
for (const pending of [1_000, 100_000]) rows.push(await measure(pending));
console.log(
  "pending   enqueue/s  index load  idle CPU/s  fired      lateness p50 / p99 / max   CPU per firing",
);
for (const row of rows) {
  console.log(
    `${row.pending.toLocaleString("en").padEnd(9)} ${String(row.enqueueRate).padEnd(10)} ` +
      `${`${row.loadMs} ms`.padEnd(11)} ${`${row.idleCpuPerSecondMs} ms`.padEnd(11)} ` +
      `${row.fired.padEnd(10)} ${`${row.p50} / ${row.p99} / ${row.max} ms`.padEnd(26)} ` +
      `${row.cpuPerFiringMs} ms`,
  );
}
