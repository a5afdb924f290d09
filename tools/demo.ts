/**
 * The demo: starts a throwaway nats-server, then shows naq doing its job: jobs succeeding,
 * one retried then succeeding, one dead-lettered, a delayed job, a cron schedule firing,
 * live events, and a summary.
 */
import { createConfig, defineTask, type JobEvent, Queue, ServiceManager, Worker } from "../mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";

const say = (line: string) => console.log(`demo: ${line}`);

await using server = await startNatsServer();
say(`started nats-server with JetStream at ${server.url}`);

const config = createConfig({
  nats: { servers: [server.url] },
  queueDefaults: { backoff: { type: "exponential", delay: "200ms", jitter: 0 } },
});
await using services = new ServiceManager(config);

let flakyRuns = 0;
const [resizeImage, chargeCard, sendFax] = [
  defineTask("resize-image", async (payload: { image: string }, ctx) => {
    await ctx.progress(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { thumbnail: payload.image.replace(".png", "-small.png") };
  }),
  defineTask("charge-card", () => {
    flakyRuns += 1;
    if (flakyRuns === 1) throw new Error("payment gateway timed out");
    return { charged: true };
  }, { attempts: 3 }),
  defineTask("send-fax", () => {
    throw new Error("no fax machine answers");
  }, { attempts: 2 }),
];
const sendReminder = defineTask(
  "send-reminder",
  (payload: { to: string }) => `reminded ${payload.to}`,
);
const checkHealth = defineTask("check-health", () => "healthy");

const queue = new Queue("demo", { services });
const stopEvents = new AbortController();
const events = queue.events({ signal: stopEvents.signal });
const printed = (async () => {
  for await (const event of events) console.log(`  event  ${describe(event)}`);
})();

// the worker also runs a scheduler replica, which fires the schedule; the server fires the
// delayed job
await using worker = new Worker("demo", [
  resizeImage,
  chargeCard,
  sendFax,
  sendReminder,
  checkHealth,
], {
  services,
  concurrency: 4,
  handleSignals: false,
  logger: {
    info: (line) => console.log(`  worker ${line}`),
    warn: console.warn,
    error: console.error,
  },
});
worker.run();

say("enqueueing 3 images to resize, a card charge that fails once, and a fax that always fails");
const handles = await queue.enqueueMany([
  ...["a.png", "b.png", "c.png"].map((image) => ({ task: resizeImage, payload: { image } })),
  { task: chargeCard, payload: { amount: 42 } },
  { task: sendFax, payload: { to: "+1 555 0100" } },
]);
say("enqueueing a reminder delayed by 2s, and a health check every 2 seconds (cron), twice");
const reminder = await queue.enqueue(sendReminder, { to: "ada" }, { delay: "2s" });
if (reminder.job.state === "delayed") {
  say(`the reminder is delayed until ${new Date(reminder.job.runAt).toISOString()}`);
}
await queue.schedule("health", checkHealth, null, { cron: "*/2 * * * * *" }, { repeat: 2 });
const outcomes = await Promise.allSettled(
  [...handles, reminder].map((handle) => handle.result({ timeout: "20s" })),
);
while ((await queue.getSchedule("health"))?.nextRunAt !== null) {
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const health = await queue.result((await queue.getSchedule("health"))!.lastJobId!, {
  timeout: "20s",
});
say(`the health check schedule fired twice; the last run says ${JSON.stringify(health)}`);

await worker.close();
stopEvents.abort();
await printed;

say("results:");
outcomes.forEach((outcome, i) => {
  const text = outcome.status === "fulfilled"
    ? `ok ${JSON.stringify(outcome.value)}`
    : `failed: ${outcome.reason.message}`;
  console.log(`  ${[...handles, reminder][i].job.task.padEnd(13)} ${text}`);
});
say(`counts per state: ${JSON.stringify(await queue.stats())}`);
const [dead] = await queue.deadLetters();
say(
  `dead letter: ${dead.job?.task}, ${dead.reason}, errors: ${
    dead.job?.errors.map((e) => e.message).join(" | ")
  }`,
);
say("done");

function describe(event: JobEvent): string {
  const data = event.data === undefined ? "" : ` ${JSON.stringify(event.data)}`;
  return `${event.type.padEnd(9)} ${event.task} #${event.attempt}${data}`;
}
