import { wireNames } from "../../src/core/names.ts";
import { createDashboard } from "../../src/dashboard/mod.ts";
import { Queue } from "../../src/queue.ts";
import { EventService } from "../../src/services/business/event_service.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";

// A known defect, found in review and not fixed yet: once the events stream is deleted and
// created again, the dashboard's feed (one ordered consumer, src/services/core/stream_replay.ts)
// neither ends nor hears the new stream's events, so the charts and live updates freeze without
// a word: 40 jobs and 2 minutes later it still counts none (nats.js notices the consumer gone
// only by missed heartbeats, then recreates it at its old sequence + 1, which may be why).
// queue.events({ since }) reads through the same replay. Remove `ignore` once the feed recovers.
Deno.test({
  name: "the dashboard's feed hears the events of an events stream created again",
  fn: async () => {
    await using server = await startNatsServer();
    await using services = new ServiceManager(testConfig(server.url));
    const queue = new Queue("q", { services });
    await using worker = new Worker("q", [defineTask("t", () => 1)], {
      services,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    await (await queue.enqueue("t", null)).result({ timeout: "30s" });
    await using dashboard = createDashboard({ services });
    const completed = async () => {
      const page = await (await dashboard.fetch(new Request("http://127.0.0.1/queues/q"))).text();
      return Number(page.match(/(\d+) completed, \d+ failed attempts in the last hour/)?.[1]);
    };
    await (await queue.enqueue("t", null)).result({ timeout: "30s" });
    await waitFor("both jobs counted", async () => await completed() === 2, 10_000);

    const events = wireNames(services.config.prefix).eventsStream;
    const jsm = await (await services.get(ConnectionService)).jetstreamManager();
    await jsm.streams.delete(events);
    (await services.get(StreamService)).forget(events);
    await (await services.get(EventService)).history({ queue: "q" }); // creates it again
    for (let i = 0; i < 3; i++) await (await queue.enqueue("t", null)).result({ timeout: "30s" });
    await waitFor("the three later jobs counted", async () => await completed() === 5, 10_000);
  },
});
