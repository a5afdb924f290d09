import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { setup } from "../queue/_setup.ts";
import { hasScript, runNaq, runNaqOnTerminal } from "./_naq.ts";

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
  const purged = await naq("queue", "purge", "jobs", "--yes");
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

Deno.test("naq queue purge asks first: --dry-run counts, --yes goes ahead, a pipe is refused", async (t) => {
  await using env = await setup();
  const naq = (...args: string[]) => runNaq(env.server.url, args);
  await env.queue.enqueueMany([
    { task: "t", payload: 1 },
    { task: "t", payload: 2, options: { delay: "1h" } },
  ]);
  await t.step("--dry-run counts and does nothing", async () => {
    const dry = await naq("queue", "purge", "jobs", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      "Would cancel 2 jobs of queue jobs that have not started; nothing was done\n",
    );
    const json = await naq("queue", "purge", "jobs", "--dry-run", "--json");
    assert.deepEqual(JSON.parse(json.stdout), { queue: "jobs", dryRun: true, pending: 2 });
    assert.equal((await env.queue.stats()).cancelled, 0);
  });
  await t.step("without --yes and without a terminal it refuses, exit 2", async () => {
    const refused = await naq("queue", "purge", "jobs");
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      "naq: naq queue purge would cancel 2 jobs of queue jobs that have not started, and asks " +
        "first, but stdin is not a terminal: pass --yes to go ahead (or --dry-run to count only)\n",
    );
    assert.equal((await env.queue.stats()).cancelled, 0);
  });
  await t.step({
    name: "on a terminal it asks: no does nothing (exit 1), yes goes ahead",
    ignore: !hasScript(),
    fn: async () => {
      const no = await runNaqOnTerminal(env.server.url, ["queue", "purge", "jobs"], "n\n");
      assert.equal(no.code, 1, no.stdout);
      assert.match(no.stdout, /naq: cancel 2 jobs of queue jobs that have not started\? \[y\/N\] /);
      assert.match(no.stdout, /naq: naq queue purge: not confirmed; nothing was done/);
      assert.equal((await env.queue.stats()).cancelled, 0);
      const yes = await runNaqOnTerminal(env.server.url, ["queue", "purge", "jobs"], "y\n");
      assert.equal(yes.code, 0, yes.stdout);
      assert.match(yes.stdout, /Cancelled 2 jobs of queue jobs/);
      assert.equal((await env.queue.stats()).cancelled, 2);
    },
  });
});

Deno.test("naq queue delete removes the queue's stream, consumers, schedules and dead letters", async () => {
  await using env = await setup();
  const naq = (...args: string[]) => runNaq(env.server.url, args);
  const other = new Queue("kept", { services: env.services });
  await other.enqueue("t", 1);
  await env.queue.enqueueMany([{ task: "t", payload: 1 }, { task: "t", payload: 2 }]);
  await env.queue.schedule("hourly", "t", null, { every: "1h" });
  await env.queue.stats(); // makes the counting consumers, which go with the stream
  const dry = await naq("queue", "delete", "jobs", "--dry-run", "--json");
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(JSON.parse(dry.stdout), {
    queue: "jobs",
    dryRun: true,
    messages: 2,
    schedules: 1,
    deadLetters: 0,
  });
  const refused = await naq("queue", "delete", "jobs");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /stdin is not a terminal: pass --yes/);

  const deleted = await naq("queue", "delete", "jobs", "--yes");
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(
    deleted.stdout,
    "Deleted queue jobs: 2 job messages and its consumers, 1 schedule and 0 dead letters\n",
  );
  const streams = await env.services.get(StreamService);
  assert.equal(
    await streams.info("naq_queue_jobs"),
    null,
    "the stream, and its consumers, are gone",
  );
  assert.notEqual(await streams.info("naq_queue_kept"), null, "other queues stay");
  assert.deepEqual(await env.queue.listSchedules(), []);
  assert.equal((await other.stats()).waiting, 1);

  const again = await naq("queue", "delete", "jobs", "--yes");
  assert.equal(again.code, 1);
  assert.equal(
    again.stderr,
    "naq: Queue jobs does not exist (no stream, schedule or dead letter); the queues are: kept\n",
  );
});
