import assert from "node:assert/strict";
import { JobService } from "../../src/services/business/jobs/job_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { setup } from "./_setup.ts";

Deno.test("listJobPage() pages through one state's jobs in the order they were stored", async () => {
  await using env = await setup();
  const jobs = await env.services.get(JobService);
  const waiting = await env.queue.enqueueMany(
    Array.from({ length: 7 }, (_, n) => ({ task: "t", payload: n })),
  );
  const delayed = await env.queue.enqueue("t", "later", { delay: "1h" });
  const pages: string[][] = [];
  let after = 0;
  for (let page = 0; page < 5; page++) {
    const read = await jobs.listJobPage("jobs", { state: "waiting", after, limit: 3 });
    pages.push(read.jobs.map((job) => job.id));
    assert.ok(read.jobs.every((job) => job.state === "waiting"));
    if (read.next === null) break;
    after = read.next;
  }
  assert.deepEqual(pages.map((page) => page.length), [3, 3, 1]);
  assert.deepEqual(pages.flat(), waiting.map((job) => job.id));
  const later = await jobs.listJobPage("jobs", { state: "delayed" });
  assert.deepEqual(later.jobs.map((job) => [job.id, job.state]), [[delayed.id, "delayed"]]);
  assert.equal(later.next, null);
  assert.deepEqual(await jobs.listJobPage("jobs", { state: "completed" }), {
    jobs: [],
    next: null,
  });
  assert.deepEqual(await jobs.listJobPage("nothing", { state: "waiting" }), {
    jobs: [],
    next: null,
  });
  await assert.rejects(
    () => jobs.listJobPage("jobs", { state: "waiting", limit: 0 }),
    /^RangeError: Cannot list a page of 0 jobs: give a limit from 1 to 1000/,
  );
});

Deno.test("listJobPage() tells the active jobs from the waiting ones", async () => {
  await using env = await setup();
  const jobs = await env.services.get(JobService);
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const gated = defineTask("gated", async () => await gate);
  const running = await env.queue.enqueue(gated, null);
  const queued = await env.queue.enqueueMany([1, 2].map(() => ({ task: gated, payload: null })));
  env.worker([gated], 1);
  await waitFor("the first job to start", async () => (await env.queue.stats()).active === 1);
  const active = await jobs.listJobPage("jobs", { state: "active" });
  assert.deepEqual(active.jobs.map((job) => [job.id, job.state]), [[running.id, "active"]]);
  const waiting = await jobs.listJobPage("jobs", { state: "waiting" });
  assert.deepEqual(waiting.jobs.map((job) => job.id), queued.map((job) => job.id));
  release();
  await Promise.all(queued.map((job) => job.result({ timeout: "30s" })));
  const completed = await jobs.listJobPage("jobs", { state: "completed", limit: 2 });
  assert.equal(completed.jobs.length, 2);
  assert.ok(completed.next !== null);
});

Deno.test("listJobPage() reads only its page, however many jobs the queue holds", async () => {
  await using env = await setup();
  const jobs = await env.services.get(JobService);
  await env.queue.enqueueMany(Array.from({ length: 500 }, (_, n) => ({ task: "t", payload: n })));
  // messages the server sent to clients so far (only this test's connection is open)
  const sent = async () => {
    const connz = await env.server.monitor<{ connections: { out_msgs: number }[] }>("connz");
    return connz.connections.reduce((sum, connection) => sum + connection.out_msgs, 0);
  };
  await jobs.listJobPage("jobs", { state: "waiting", limit: 10 }); // opens what a read needs
  const before = await sent();
  const page = await jobs.listJobPage("jobs", { state: "waiting", limit: 10 });
  const forPage = await sent() - before;
  assert.equal(page.jobs.length, 10);
  // the page's 11 messages, the end of the batch, and a few replies about the stream
  assert.ok(forPage <= 20, `${forPage} messages for a page of 10`);
  const beforeAll = await sent();
  await jobs.listJobs("jobs", { limit: 10 });
  assert.ok(await sent() - beforeAll >= 500, "a listing of every job reads them all");
});
