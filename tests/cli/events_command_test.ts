import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, spawnNaq } from "./_naq.ts";

// Each step has a queue of its own, so that what one step leaves is not what the next one sees.
Deno.test("naq events tail", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));

  await t.step("prints events as they happen until SIGINT, then exits 0", async () => {
    const queue = new Queue("feed", { services });
    await using tail = await spawnNaq(server.url, ["events", "tail", "feed"]);
    await tail.waitFor(/Following the events of queue feed; Ctrl-C to stop/, "stderr");
    await queue.enqueue("ship", {}, { jobId: "t1" });
    await queue.cancel("t1");
    await tail.waitFor(/cancelled/);
    assert.equal(await tail.stop("SIGINT"), 0);
    const lines = tail.stdout().trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+Z {2}enqueued {3}ship {2}t1 {2}attempt 0$/);
    assert.match(lines[1], /^\S+ {2}cancelled {2}ship {2}t1 {2}attempt 0$/);
  });

  await t.step("--json prints NDJSON; --type and --job filter", async () => {
    await using tail = await spawnNaq(server.url, [
      "events",
      "tail",
      "feed-filtered",
      "--type",
      "cancelled",
      "--job",
      "t3",
      "--json",
    ]);
    await tail.waitFor(/Ctrl-C to stop/, "stderr");
    const queue = new Queue("feed-filtered", { services });
    await queue.enqueue("ship", {}, { jobId: "t2" });
    await queue.cancel("t2");
    await queue.enqueue("ship", {}, { jobId: "t3" });
    await queue.cancel("t3");
    await tail.waitFor(/"t3"/);
    assert.equal(await tail.stop("SIGTERM"), 0);
    const events = tail.stdout().trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(events.length, 1);
    assert.equal(events[0].type, "cancelled");
    assert.equal(events[0].jobId, "t3");
    assert.equal(events[0].queue, "feed-filtered");
    assert.equal(typeof events[0].at, "number");
  });

  await t.step("an unknown --type is bad usage: exit 2", async () => {
    const bad = await runNaq(server.url, ["events", "tail", "feed-usage", "--type", "finished"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /Unknown event type "finished"; use enqueued, active, progress/,
    );
  });
});
