import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { setup } from "./_setup.ts";

const NONE = { delayed: 0, waiting: 0, active: 0, failed: 0, completed: 0, dead: 0, cancelled: 0 };

Deno.test("purge() removes every waiting job, reports how many, and none of them runs", async () => {
  await using env = await setup();
  const ran: number[] = [];
  const record = defineTask("record", (n: number) => void ran.push(n));
  const handles = await env.queue.enqueueMany(
    [1, 2, 3, 4, 5].map((n) => ({ task: record, payload: n })),
  );
  assert.equal(await env.queue.purge(), 5);
  assert.deepEqual(await env.queue.stats(), { ...NONE, cancelled: 5 });
  for (const handle of handles) {
    assert.equal((await env.queue.getJob(handle.id))?.state, "cancelled");
  }

  env.worker([record], 1);
  await (await env.queue.enqueue(record, 99)).result({ timeout: "30s" });
  assert.deepEqual(ran, [99]);
});

Deno.test("purge() of an empty queue returns 0", async () => {
  await using env = await setup();
  assert.equal(await env.queue.purge(), 0);
});

Deno.test("stats() of a new queue counts zero in every state", async () => {
  await using env = await setup();
  assert.deepEqual(await env.queue.stats(), NONE);
});

Deno.test("stats() counts jobs per state, and only this queue's", async () => {
  await using env = await setup();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const ok = defineTask("ok", () => "ok");
  const fail = defineTask("fail", () => {
    throw new Error("no");
  });
  const hold = defineTask("hold", async () => await released);

  await env.queue.enqueue(ok, null);
  await env.queue.enqueue(fail, null, { attempts: 1 });
  await env.queue.enqueue(hold, null);
  const retrying = await env.queue.enqueue(fail, null, {
    attempts: 2,
    backoff: { type: "fixed", delay: 60_000 },
  });
  const cancelled = await env.queue.enqueue(ok, null);
  await env.queue.cancel(cancelled.id);
  assert.deepEqual(await env.queue.stats(), { ...NONE, waiting: 4, cancelled: 1 });

  env.worker([ok, fail, hold], 4);
  const wanted = { ...NONE, active: 1, failed: 1, completed: 1, dead: 1, cancelled: 1 };
  await waitFor(
    "each job to reach its state",
    async () => JSON.stringify(await env.queue.stats()) === JSON.stringify(wanted),
  );
  assert.equal((await env.queue.getJob(retrying.id))?.state, "failed");

  await using other = new Queue("other", { services: env.services });
  assert.deepEqual(await other.stats(), NONE);
  release();
});
