import assert from "node:assert/strict";
import type { JobEvent } from "../../src/core/job_event.ts";
import { LiveFeed } from "../../src/dashboard/live_feed.ts";
import type { EventFilter } from "../../src/services/business/event_service.ts";
import { waitFor } from "../helpers/config.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 2, 9, 30, 15);

function completed(jobId: string, at: number): JobEvent {
  return { type: "completed", queue: "q", jobId, task: "t", at, attempt: 1 };
}

/**
 * A feed on subscriptions the test scripts: each replays the stored events and then what
 * the next of `scripts` says: throw, end, or wait for the feed to close.
 */
function scriptedFeed(stored: JobEvent[], scripts: ("throw" | "end" | "wait")[]) {
  const subscribed: EventFilter[] = [];
  let replayed = 0; // subscriptions that yielded all of `stored`
  const feed = new LiveFeed({
    events: () =>
      Promise.resolve({
        subscribe(filter: EventFilter) {
          subscribed.push(filter);
          const script = scripts.shift() ?? "wait";
          return (async function* () {
            yield* stored;
            replayed += 1;
            if (script === "throw") throw new Error("the events stream is gone");
            if (script === "end") return;
            await new Promise((resolve) => filter.signal?.addEventListener("abort", resolve));
          })();
        },
      }),
    exists: () => Promise.resolve(true),
    history: true,
    now: () => NOW,
  });
  const total = () => feed.activity.series("q", NOW).completed.reduce((a, b) => a + b);
  return { feed, subscribed, total, replayed: () => replayed };
}

Deno.test("the feed subscribes again to a queue whose subscription failed, counting its hour once", async () => {
  const stored = [completed("a", NOW - 2 * MINUTE), completed("b", NOW - MINUTE)];
  const { feed, subscribed, total, replayed } = scriptedFeed(stored, ["throw", "wait"]);
  try {
    await feed.watch(["q"]);
    await waitFor("a second subscription to replay the hour", () => replayed() === 2);
    // it counted the hour again, after the counts of the first were forgotten
    assert.equal(total(), 2);
    assert.equal(subscribed[1].since, NOW - 60 * MINUTE);
    await feed.watch(["q"]); // watched already: no third subscription
    assert.equal(subscribed.length, 2);
    assert.equal(total(), 2);
  } finally {
    feed.close();
  }
});

Deno.test("a subscription that ends before it hears anything is made again at the next watch()", async () => {
  const { feed, subscribed, total } = scriptedFeed([], ["end", "wait"]);
  try {
    await feed.watch(["q"]);
    assert.equal(subscribed.length, 1);
    await waitFor("the queue to be watched afresh", async () => {
      await feed.watch(["q"]);
      return subscribed.length === 2;
    });
    assert.equal(total(), 0);
  } finally {
    feed.close();
  }
});
