/**
 * The dashboard's queue page with 100,000 jobs in the queue: counts from the server's
 * counters and one page of jobs, so it should answer in well under 300 ms whatever the
 * queue holds. Served over HTTP as `naq dashboard` serves it, on one server in one run:
 * `deno bench -A bench/dashboard_queue_page_bench.ts`.
 */
import { createConfig } from "../src/config/mod.ts";
import { serveDashboard } from "../src/dashboard/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { Queue } from "../src/queue.ts";
import { ServiceManager } from "../src/services/mod.ts";

const JOBS = 100_000;
const BATCH = 1_000;

const server = await startNatsServer();
// Deno.bench has no teardown hook; the process must not outlive the run
globalThis.addEventListener("unload", () => {
  if (server.pid) Deno.kill(server.pid, "SIGKILL");
  Deno.removeSync(server.storeDir.replace(/\/jetstream$/, ""), { recursive: true });
});

const services = new ServiceManager(createConfig({ nats: { servers: [server.url] } }));
const queue = new Queue("big", { services });
const filling = performance.now();
for (let done = 0; done < JOBS; done += BATCH) {
  await queue.enqueueMany(
    Array.from({ length: BATCH }, (_, i) => ({ task: "noop", payload: { n: done + i } })),
  );
}
// a few in the other states, at the end of the stream: the page must find them past the rest
for (let i = 0; i < 10; i++) await queue.enqueue("noop", { later: i }, { delay: "1h" });
const stats = await queue.stats();
console.error(
  `filled ${stats.waiting} waiting and ${stats.delayed} delayed jobs in ` +
    `${Math.round(performance.now() - filling)} ms`,
);
const served = await serveDashboard({ services, port: 0 });

async function get(path: string): Promise<void> {
  const response = await fetch(`${served.url}${path}`);
  const text = await response.text();
  if (!response.ok || !text.includes("Queue big")) {
    throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 200)}`);
  }
}

for (const state of ["waiting", "delayed", "completed"]) {
  Deno.bench(
    `queue page of ${JOBS.toLocaleString("en")} jobs, ${state}`,
    { group: "queue page", baseline: state === "waiting" },
    async () => await get(`queues/big?state=${state}`),
  );
}
Deno.bench(
  `queue page of ${JOBS.toLocaleString("en")} jobs, waiting, page 100`,
  { group: "queue page" },
  async () => await get(`queues/big?state=waiting&after=${(stats.waiting / 2) | 0}`),
);
