import assert from "node:assert/strict";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { within } from "../helpers/config.ts";
import { runMessages, setup, silent } from "./_setup.ts";
import { inState } from "../helpers/in_state.ts";

// The server fires delayed jobs and retries on its own clock, which no test can drive: the
// delays here are short, and each test waits for the job that proves its point.

const echo = defineTask("echo", (payload: number) => payload * 2);

Deno.test("a delayed job shows as delayed, then runs when due, with no scheduler running", async () => {
  await using env = await setup();
  const job = await env.queue.enqueue(echo, 21, { delay: 300 });
  assert.equal(job.job.state, "delayed");
  assert.equal(
    inState(await env.queue.getJob(job.id), "delayed").runAt,
    inState(job.job, "delayed").runAt,
  );
  assert.equal((await env.queue.stats()).delayed, 1);
  assert.equal(await runMessages(env.server), 0, "nothing for a worker yet");
  await using worker = new Worker("jobs", [echo], {
    services: env.services,
    handleSignals: false,
    logger: silent,
    scheduler: false,
  });
  void worker.run();
  assert.equal(await job.result({ timeout: "30s" }), 42);
  const done = (await env.queue.getJob(job.id))!;
  assert.ok(done.startedAt! >= job.job.runAt!, "it started no earlier than due");
  assert.equal((await env.queue.stats()).delayed, 0);
});

Deno.test("a cancelled delayed job never runs", async () => {
  await using env = await setup();
  const runs: number[] = [];
  const record = defineTask("record", (n: number) => void runs.push(n));
  const doomed = await env.queue.enqueue(record, 1, { delay: 300 });
  assert.equal(await env.queue.cancel(doomed.id), true);
  assert.equal((await env.queue.getJob(doomed.id))?.state, "cancelled");
  assert.equal((await env.queue.stats()).delayed, 0);
  env.worker([record]);
  // the server fires schedules in the order they come due: this one comes after the doomed
  const later = await env.queue.enqueue(record, 2, {
    runAt: inState(doomed.job, "delayed").runAt + 1,
  });
  await within("the later job", later.result());
  assert.deepEqual(runs, [2]);
  await assert.rejects(doomed.result({ timeout: 1_000 }), { code: "JOB_CANCELLED" });
});

Deno.test("runAt in the past enqueues at once; delay and runAt together are refused", async () => {
  await using env = await setup();
  const job = await env.queue.enqueue("send", {}, { runAt: new Date(Date.now() - 1_000) });
  assert.equal(job.job.state, "waiting");
  const at = Date.now() + 60_000;
  const iso = await env.queue.enqueue("send", {}, { runAt: new Date(at).toISOString() });
  assert.equal(inState(iso.job, "delayed").runAt, at);
  await assert.rejects(
    env.queue.enqueue("send", {}, { delay: "1m", runAt: Date.now() }),
    { name: "TypeError", message: "Cannot enqueue with both delay and runAt: give one of them" },
  );
  await assert.rejects(env.queue.enqueue("send", {}, { runAt: "next tuesday" }), {
    name: "RangeError",
    message: 'Cannot use "next tuesday" as runAt: give a Date, ms since the epoch, or an ' +
      'ISO 8601 time such as "2026-12-01T09:00:00Z"',
  });
});

Deno.test("the same job id delayed twice is one job, run once", async () => {
  await using env = await setup();
  const runs: number[] = [];
  const record = defineTask("record", (payload: { n: number }) => void runs.push(payload.n));
  const first = await env.queue.enqueue(record, { n: 1 }, { jobId: "once", delay: 200 });
  const second = await env.queue.enqueue(record, { n: 2 }, { jobId: "once", delay: 200 });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(second.job.nonce, first.job.nonce);
  env.worker([record]);
  await within("the job", first.result());
  await within("a later job", (await env.queue.enqueue(record, { n: 3 })).result());
  assert.deepEqual(runs, [1, 3]);
});

Deno.test("purge() cancels delayed jobs, and a message that is not a job still dead-letters", async () => {
  await using env = await setup();
  const jobs = await env.queue.enqueueMany(
    Array.from({ length: 20 }, (_, i) => ({ task: "send", payload: i, options: { delay: "1h" } })),
  );
  assert.equal(await env.queue.purge(), jobs.length);
  assert.equal((await env.queue.stats()).delayed, 0);
  assert.equal((await env.queue.stats()).cancelled, jobs.length);

  // a foreign schedule whose body is not a job fires like any other, and a worker gives it up
  const raw = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
  const connection = await env.services.get(ConnectionService);
  await connection.jetstream().publish("naq.queue.jobs.junk.delayed", raw, {
    schedule: { specification: new Date(Date.now() + 100), target: "naq.queue.jobs.junk.run" },
  });
  env.worker([echo]);
  const letters = await within(
    "the dead letter",
    (async () => {
      while ((await env.queue.deadLetters()).length === 0) await connection.nc.flush();
      return await env.queue.deadLetters();
    })(),
  );
  assert.deepEqual(Uint8Array.from(atob(letters[0].raw), (c) => c.charCodeAt(0)), raw);
  assert.match(letters[0].reason, /not valid UTF-8/);
});
