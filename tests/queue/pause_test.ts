import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { runNaq } from "../cli/_naq.ts";
import { setup } from "./_setup.ts";

Deno.test("a paused queue starts no job until resumed; running jobs finish", async () => {
  await using env = await setup();
  const started: number[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const task = defineTask("gated", async (n: number) => {
    started.push(n);
    await gate;
    return n;
  });
  env.worker([task], 4);
  const first = await env.queue.enqueue(task, 0);
  await waitFor("the first job to start", () => started.length === 1);

  await env.queue.pause();
  assert.equal(await env.queue.isPaused(), true);
  const later = await env.queue.enqueueMany([1, 2, 3].map((n) => ({ task, payload: n })));
  release();
  assert.equal(await first.result({ timeout: "5s" }), 0, "a running job finishes");
  // longer than a worker's pull: a worker that had not seen the pause would have started one
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.deepEqual(started, [0]);
  assert.equal((await env.queue.stats()).waiting, 3);

  await env.queue.resume();
  assert.equal(await env.queue.isPaused(), false);
  assert.deepEqual(
    await Promise.all(later.map((handle) => handle.result({ timeout: "5s" }))),
    [1, 2, 3],
  );
});

Deno.test("a worker started on a paused queue waits for resume", async () => {
  await using env = await setup();
  await env.queue.pause();
  const task = defineTask("echo", (n: number) => n);
  const handle = await env.queue.enqueue(task, 7);
  env.worker([task]);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal((await env.queue.getJob(handle.id))?.state, "waiting");
  await env.queue.resume();
  assert.equal(await handle.result({ timeout: "5s" }), 7);
});

Deno.test("naq queue pause|resume|purge", async () => {
  await using env = await setup();
  const naq = (...args: string[]) => runNaq(env.server.url, args);
  await env.queue.enqueueMany([
    { task: "t", payload: 1 },
    { task: "t", payload: 2, options: { delay: "1h" } },
  ]);
  const paused = await naq("queue", "pause", "jobs");
  assert.equal(paused.code, 0, paused.stderr);
  assert.equal(
    paused.stdout,
    "Paused queue jobs: workers start no job of it until naq queue resume jobs\n",
  );
  assert.equal(await env.queue.isPaused(), true);
  assert.match((await naq("queues")).stdout, /^jobs\s+yes\s/m);
  const resumed = await naq("queue", "resume", "jobs", "--json");
  assert.deepEqual(JSON.parse(resumed.stdout), { queue: "jobs", paused: false });
  const purged = await naq("queue", "purge", "jobs");
  assert.equal(purged.stdout, "Cancelled 2 jobs of queue jobs\n");
  assert.equal(purged.stderr, "", "no progress when stderr is not a terminal");
  assert.equal((await env.queue.stats()).cancelled, 2);
  const bad = await naq("queue", "pause", "a.b");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot use "a\.b" as a queue name/);
});
