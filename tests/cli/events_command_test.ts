import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
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

  await t.step("--since replays the stored events from then on, then follows", async () => {
    const queue = new Queue("feed-since", { services });
    await queue.enqueue("ship", {}, { jobId: "s1", delay: "1h" });
    await queue.cancel("s1");
    await waitFor(
      "the stream to store the events",
      async () => (await queue.jobEvents("s1")).length === 2,
    );
    await using tail = await spawnNaq(server.url, [
      "events",
      "tail",
      "feed-since",
      "--since",
      "1h",
      "--json",
    ]);
    await tail.waitFor(/Following the events of queue feed-since from \S+Z; Ctrl-C/, "stderr");
    await tail.waitFor(/"cancelled".*"s1"/);
    await queue.enqueue("ship", {}, { jobId: "s2", delay: "1h" });
    await queue.cancel("s2");
    await tail.waitFor(/"cancelled".*"s2"/);
    assert.equal(await tail.stop("SIGINT"), 0);
    const events = tail.stdout().trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(events.map((event) => [event.type, event.jobId]), [
      ["enqueued", "s1"],
      ["cancelled", "s1"],
      ["enqueued", "s2"],
      ["cancelled", "s2"],
    ]);
  });

  await t.step("--since that is no time is bad usage; with events disabled, exit 1", async () => {
    const bad = await runNaq(server.url, ["events", "tail", "feed-usage", "--since", "5"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Cannot use "5" as --since: a number needs a unit/);
    const disabled = await runNaq(server.url, ["events", "tail", "feed-usage", "--since", "1h"], {
      env: { NAQ_EVENTS_ENABLED: "false" },
    });
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /Events are disabled .*, and no history to replay/);
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
