/**
 * What reading events back costs: `deno task bench:events [jobs]`.
 *
 * The events stream keeps a queue's events on one subject, batched (a JSON array per
 * message), indexed by time and not by job. So a job's timeline (`queue.jobEvents(id)`) and a
 * replay (`queue.events({ since })`) read every message of the queue over the time they
 * cover. On one fresh server, this stores three events for each of `jobs` jobs (default
 * 100,000), three jobs per message as at low load (under load a message holds up to 500),
 * then measures:
 *
 * 1. a timeline of a job whose record is gone: the whole history is read;
 * 2. a timeline of a job enqueued just now: read from a minute before its enqueue, which here
 *    is the whole history again (it was all stored within the minute);
 * 3. a replay of the whole history by `events({ since })`, until its last event.
 *
 * For each: the time taken and the messages the server sent (from /varz). It prints figures,
 * not a pass mark.
 */
import { createConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { Queue } from "../src/queue.ts";
import { EventService } from "../src/services/business/event_service.ts";
import { ServiceManager } from "../src/services/core/service_manager.ts";

const JOBS = Number(Deno.args[0] ?? 100_000);
const JOBS_PER_MESSAGE = 3;

await using server = await startNatsServer();
await using services = new ServiceManager(createConfig({ nats: { servers: [server.url] } }));
const events = await services.get(EventService);
await using queue = new Queue("history", { services });

const started = Date.now(); // real time: a benchmark measures it
for (let i = 0; i < JOBS; i++) {
  for (const type of ["enqueued", "active", "completed"] as const) {
    events.emit({ type, queue: "history", jobId: `j${i}`, task: "t", at: started, attempt: 1 });
  }
  if (i % JOBS_PER_MESSAGE === JOBS_PER_MESSAGE - 1) await events.flush();
}
await events.flush();
console.log(`sent ${JOBS * 3} events of ${JOBS} jobs, ${JOBS_PER_MESSAGE} jobs a message`);

async function measure(what: string, read: () => Promise<number>): Promise<void> {
  const sent = async () => (await server.monitor<{ out_msgs: number }>("varz")).out_msgs;
  const before = await sent();
  const t0 = performance.now();
  const count = await read();
  const ms = performance.now() - t0;
  console.log(
    `${what}: ${count} events in ${ms.toFixed(0)} ms, ${(await sent()) - before} messages`,
  );
}

await measure("timeline of a job without a record", async () => {
  return (await queue.jobEvents(`j${JOBS - 1}`)).length;
});
await measure("timeline of a job enqueued just now", async () => {
  return (await events.timeline("history", `j${JOBS - 1}`, { enqueuedAt: Date.now() })).length; // real time
});
await measure("events({ since }) replaying the history", async () => {
  let count = 0;
  for await (const _ of queue.events({ since: new Date(started) })) {
    if (++count === JOBS * 3) break;
  }
  return count;
});
