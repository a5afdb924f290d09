import assert from "node:assert/strict";
import { ConnectionService } from "../../src/services/connection_service.ts";
import { JobService } from "../../src/services/job_service.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { StreamService } from "../../src/services/stream_service.ts";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";
import { schedulerSetup } from "./_setup.ts";

const MINUTE = 60_000;

Deno.test("a delayed job waits as delayed, then is enqueued when its time comes", async () => {
  await using s = await schedulerSetup();
  const start = s.clock.now();
  const job = await s.queue.enqueue("send", { to: "a" }, { delay: "5m" });
  assert.equal(job.job.state, "delayed");
  assert.equal(job.job.runAt, start + 5 * MINUTE);
  assert.equal((await s.queue.getJob(job.id))?.state, "delayed");
  assert.equal((await s.queue.stats()).delayed, 1);
  // due a millisecond earlier: once it is enqueued, the scheduler has looked at that moment
  const earlier = await s.queue.enqueue("send", { to: "b" }, { delay: 5 * MINUTE - 1 });

  await s.lead();
  await waitFor("the scheduler to index both jobs", () => s.scheduler.status.delayed === 2);
  s.clock.advance(5 * MINUTE - 1);
  await waitFor(
    "the earlier job to be enqueued",
    async () => (await s.queue.getJob(earlier.id))?.state === "waiting",
  );
  // whatever the scheduler found due then, it took from its index in that same step
  assert.equal(s.scheduler.status.delayed, 1, "the scheduler holds the job for later still");
  assert.equal((await s.queue.getJob(job.id))?.state, "delayed");
  s.clock.advance(1);
  await waitFor(
    "the job to be enqueued",
    async () => (await s.queue.getJob(job.id))?.state === "waiting",
  );
  assert.equal(s.scheduler.status.delayed, 0);
});

Deno.test("a cancelled delayed job is never enqueued", async () => {
  await using s = await schedulerSetup();
  const job = await s.queue.enqueue("send", {}, { delay: "1m" });
  assert.equal(await s.queue.cancel(job.id), true);
  assert.equal((await s.queue.getJob(job.id))?.state, "cancelled");
  assert.equal((await s.queue.stats()).delayed, 0);

  await s.lead();
  const later = await s.queue.enqueue("send", {}, { delay: "2m" });
  s.clock.advance(2 * MINUTE);
  await waitFor(
    "the later job to be enqueued",
    async () => (await s.queue.getJob(later.id))?.state === "waiting",
  );
  assert.equal((await s.queue.getJob(job.id))?.state, "cancelled");
  await waitForNoDelayed(s);
  assert.equal(await queueMessages(s), 1);
});

Deno.test("runAt in the past enqueues at once; delay and runAt together are refused", async () => {
  await using s = await schedulerSetup();
  const job = await s.queue.enqueue("send", {}, { runAt: new Date(s.clock.now() - 1_000) });
  assert.equal(job.job.state, "waiting");
  const iso = await s.queue.enqueue("send", {}, {
    runAt: new Date(s.clock.now() + MINUTE).toISOString(),
  });
  assert.equal(iso.job.runAt, s.clock.now() + MINUTE);
  await assert.rejects(
    s.queue.enqueue("send", {}, { delay: "1m", runAt: s.clock.now() }),
    { name: "TypeError", message: "Cannot enqueue with both delay and runAt: give one of them" },
  );
  await assert.rejects(s.queue.enqueue("send", {}, { runAt: "next tuesday" }), {
    name: "RangeError",
    message: 'Cannot use "next tuesday" as runAt: give a Date, ms since the epoch, or an ' +
      'ISO 8601 time such as "2026-12-01T09:00:00Z"',
  });
});

Deno.test("the same job id delayed twice is one job, enqueued once", async () => {
  await using s = await schedulerSetup();
  const first = await s.queue.enqueue("send", { n: 1 }, { jobId: "once", delay: "1m" });
  const second = await s.queue.enqueue("send", { n: 2 }, { jobId: "once", delay: "1m" });
  assert.equal(second.job.nonce, first.job.nonce);
  assert.equal(await delayedMessages(s), 1, "one delayed message waits");
  await s.lead();
  s.clock.advance(MINUTE);
  await waitFor(
    "the job to be enqueued",
    async () => (await s.queue.getJob("once"))?.state === "waiting",
  );
  assert.deepEqual((await s.queue.getJob("once"))?.payload, { n: 1 });
  await waitForNoDelayed(s);
  assert.equal(await queueMessages(s), 1);
});

Deno.test("jobs that came due while no scheduler ran are enqueued when one starts", async () => {
  await using s = await schedulerSetup();
  const jobs = await s.queue.enqueueMany(
    Array.from({ length: 50 }, (_, i) => ({
      task: "send",
      payload: i,
      options: { delay: (i + 1) * 1_000 },
    })),
  );
  s.clock.advance(10 * MINUTE);
  await s.lead();
  await waitFor(
    "every job to be enqueued",
    async () => (await s.queue.stats()).waiting === jobs.length,
  );
  await waitForNoDelayed(s);
  assert.equal(await queueMessages(s), jobs.length);
});

Deno.test("a job delayed past results.ttl keeps showing as delayed, and still runs", async () => {
  await using s = await schedulerSetup({ config: { results: { ttl: "1s" } } });
  const job = await s.queue.enqueue("send", { keep: true }, { delay: "1h" });
  // the record expires on the server's clock, which the test does not drive
  await waitFor("the record to expire", async () => {
    const jobs = await s.services.get(JobService);
    return (await jobs.jobs.get(`jobs.${job.id}`)) === null;
  }, 30_000);
  const shown = await s.queue.getJob(job.id);
  assert.equal(shown?.state, "delayed");
  assert.equal(shown?.runAt, job.job.runAt);
  await s.lead();
  s.clock.advance(60 * MINUTE);
  await waitFor(
    "the job to be enqueued",
    async () => (await s.queue.getJob(job.id))?.state === "waiting",
  );
  assert.deepEqual((await s.queue.getJob(job.id))?.payload, { keep: true });
});

Deno.test("a message on the delayed stream that is not a job is dead-lettered with its bytes", async () => {
  await using s = await schedulerSetup();
  await s.queue.enqueue("send", {}, { delay: "1m" }); // creates the delayed stream
  const nc = (await s.services.get(ConnectionService)).nc;
  const raw = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
  await (await s.services.get(ConnectionService)).jetstream().publish("naq.delayed.jobs.junk", raw);
  await nc.flush();
  await s.lead();
  await waitFor("a dead letter", async () => (await s.queue.deadLetters()).length === 1);
  const [letter] = await s.queue.deadLetters();
  assert.deepEqual(Uint8Array.from(atob(letter.raw), (c) => c.charCodeAt(0)), raw);
  assert.match(letter.reason, /not valid UTF-8/);
  assert.equal(s.scheduler.status.delayed, 1); // the real job, still pending
});

async function queueMessages(s: { services: ServiceManager }): Promise<number> {
  const info = await (await s.services.get(StreamService)).info("naq_queue_jobs");
  return info?.state.messages ?? 0;
}

async function delayedMessages(s: { services: ServiceManager }): Promise<number> {
  const info = await (await s.services.get(StreamService)).info("naq_delayed");
  return info?.state.messages ?? 0;
}

/** Waits until no delayed message is left: nothing more can be enqueued from there. */
async function waitForNoDelayed(s: { services: ServiceManager }): Promise<void> {
  await waitFor("every delayed message to be taken", async () => await delayedMessages(s) === 0);
}

Deno.test("a worker runs a scheduler too: a delayed job runs with nothing else running", async () => {
  await using server = await startNatsServer();
  const config = testConfig(server.url, { scheduler: { lease: "1s" } });
  // the worker's scheduler replica fires delayed jobs by this clock
  const clock = new ManualClock();
  await using services = new ServiceManager(config, { clock });
  await using queue = new Queue("jobs", { services });
  const echo = defineTask("echo", (payload: number) => payload * 2);
  await using worker = new Worker("jobs", [echo], {
    services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  const job = await queue.enqueue(echo, 21, { delay: "5m" });
  // due first: once it ran, the worker's scheduler leads and has looked at that moment
  const earlier = await queue.enqueue(echo, 1, { delay: "1m" });
  clock.advance(MINUTE);
  await waitFor(
    "the earlier job to run",
    async () => (await queue.getJob(earlier.id))?.state === "completed",
  );
  assert.equal((await queue.getJob(job.id))?.state, "delayed");
  clock.advance(4 * MINUTE);
  await waitFor("the job to run", async () => (await queue.getJob(job.id))?.state === "completed");
  const done = (await queue.getJob(job.id))!;
  assert.equal(done.result, 42);
  // by the driven clock, which stood still since: claimed at its time, not before
  assert.equal(done.startedAt, job.job.runAt);
});

Deno.test("purge cancels a job delayed past results.ttl, whose record is gone", async () => {
  await using s = await schedulerSetup({ config: { results: { ttl: "1s" } } });
  const job = await s.queue.enqueue("send", {}, { delay: "1h" });
  await waitFor("the record to expire", async () => {
    const jobs = await s.services.get(JobService);
    return (await jobs.jobs.get(`jobs.${job.id}`)) === null;
  }, 30_000);
  assert.equal(await s.queue.purge(), 1);
  assert.equal((await s.queue.getJob(job.id))?.state, "cancelled");
  const info = await (await s.services.get(StreamService)).info("naq_delayed");
  assert.equal(info?.state.messages, 0);
});
