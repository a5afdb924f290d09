import assert from "node:assert/strict";
import { setup } from "../queue/_setup.ts";
import { runNaq } from "./_naq.ts";

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
  const typo = await naq("queue", "pause", "jbos");
  assert.equal(typo.code, 0);
  assert.equal(
    typo.stderr,
    "naq: note: queue jbos has had no jobs yet; the queues with jobs are: jobs\n",
  );
  const bad = await naq("queue", "pause", "a.b");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot use "a\.b" as a queue name/);
});
