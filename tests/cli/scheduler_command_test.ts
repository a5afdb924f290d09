import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, spawnNaq } from "./_naq.ts";

Deno.test("naq scheduler enqueues due jobs and fires schedules until SIGTERM, then exits 0", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("timed", { services });
  await using scheduler = await spawnNaq(server.url, ["scheduler"]);
  await scheduler.waitFor(/naq scheduler (\S+): leading/);
  const job = await queue.enqueue("t", null, { delay: 300 });
  await queue.schedule("often", "t", null, { every: 200 }, { repeat: 2 });
  await waitFor(
    "the delayed job to be enqueued",
    async () => (await queue.getJob(job.id))?.state === "waiting",
  );
  await waitFor("both firings", async () => (await queue.getSchedule("often"))?.nextRunAt === null);
  assert.equal((await queue.stats()).waiting, 3);
  assert.equal(await scheduler.stop("SIGTERM"), 0);
  assert.match(scheduler.stdout(), /stopped leading\n.*: stopped\n$/);
});

Deno.test("naq scheduler with a bad config exits 1 with the problem", async () => {
  const bad = await runNaq("nats://127.0.0.1:1", ["scheduler", "--config", "/nonexistent.yaml"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^naq: .*\/nonexistent\.yaml/);
});

Deno.test("naq scheduler --json logs one JSON object per line", async () => {
  await using server = await startNatsServer();
  await using scheduler = await spawnNaq(server.url, ["scheduler", "--json"]);
  await scheduler.waitFor(/leading/);
  assert.equal(await scheduler.stop("SIGINT"), 0);
  const lines = scheduler.stdout().trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((line) => line.level), ["info", "info", "info", "info"]);
  assert.match(lines[0].msg, /^naq scheduler \S+: running; Ctrl-C to stop$/);
  assert.match(lines[1].msg, /: leading$/);
  assert.ok(lines.every((line) => !Number.isNaN(Date.parse(line.ts))));
});
