import { Hono } from "hono";
import type { JobEvent } from "../../src/core/job_event.ts";
import { LiveFeed } from "../../src/dashboard/live_feed.ts";
import { liveStream } from "../../src/dashboard/live_stream.ts";
import { EventService } from "../../src/services/business/event_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

/** A feed that counts the pages listening to it. */
class CountedFeed extends LiveFeed {
  listening = 0;
  listened = 0;
  override listen(listener: (event: JobEvent) => void): () => void {
    this.listening += 1;
    this.listened += 1;
    const stop = super.listen(listener);
    return () => {
      this.listening -= 1;
      return stop();
    };
  }
}

Deno.test("a page that leaves while its queue is being looked up stops listening", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  // the queue's lookup answers only when told: the page leaves before it does
  const lookedUp = Promise.withResolvers<boolean>();
  const feed = new CountedFeed({
    events: () => services.get(EventService),
    exists: () => lookedUp.promise,
    history: false,
    now: () => services.clock.now(),
  });
  const closing = new AbortController();
  const app = new Hono().get(
    "/live",
    (c) => liveStream(c, feed, { queue: "mail" }, closing.signal),
  );
  try {
    const response = await app.fetch(new Request("http://127.0.0.1/live?queue=mail"));
    await response.body!.cancel(); // the page went away
    lookedUp.resolve(true);
    await waitFor("the page's stream to start listening", () => feed.listened === 1, 5_000);
    await waitFor("the page's stream to stop listening", () => feed.listening === 0, 5_000);
  } finally {
    closing.abort();
    feed.close();
  }
});
