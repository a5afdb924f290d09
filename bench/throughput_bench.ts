/**
 * Throughput: N no-op jobs enqueued then processed by naq (results and events on), beside raw
 * JetStream publish + consume + ack of the same N messages, on one server in one run.
 * `deno task bench:throughput` prints jobs/s for each and their ratio.
 */
import { createConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { defineTask, Queue, Worker } from "../mod.ts";
import { ConnectionService, ServiceManager, StreamService } from "../src/services/mod.ts";
import { JOBS } from "./_throughput_jobs.ts";

const CONCURRENCY = 100;

const server = await startNatsServer();
globalThis.addEventListener("unload", () => {
  if (server.pid) Deno.kill(server.pid, "SIGKILL");
  Deno.removeSync(server.storeDir.replace(/\/jetstream$/, ""), { recursive: true });
});
const config = createConfig({ nats: { servers: [server.url] } });

// naq: one producer connection, one worker connection, as in a real deployment
const producer = new ServiceManager(config);
const queue = new Queue("bench", { services: producer });
const noop = defineTask("noop", () => null);
const worker = new Worker("bench", [noop], {
  config,
  concurrency: CONCURRENCY,
  handleSignals: false,
  logger: { info() {}, warn: console.warn, error: console.error },
});
worker.run();
let completed = 0;
let wake = () => {};
(async () => {
  for await (const _ of queue.events({ types: ["completed"] })) {
    completed += 1;
    wake();
  }
})();

async function untilCompleted(target: number): Promise<void> {
  while (completed < target) await new Promise<void>((resolve) => wake = resolve);
}

const items = Array.from({ length: JOBS }, (_, i) => ({ task: noop, payload: { i } }));
Deno.bench(
  `naq: enqueue ${JOBS} jobs, run them`,
  { group: "throughput", baseline: true },
  async () => {
    const target = completed + JOBS;
    await queue.enqueueMany(items);
    await untilCompleted(target);
  },
);

// raw JetStream: the same messages, published, pulled, acknowledged
const raw = new ServiceManager(config);
await (await raw.get(StreamService)).ensure({
  name: "raw",
  subjects: ["raw.>"],
  retention: "workqueue",
});
const connection = await raw.get(ConnectionService);
const jsm = await connection.jetstreamManager();
await jsm.consumers.add("raw", {
  durable_name: "raw",
  ack_policy: "explicit" as never,
  max_ack_pending: 10_000,
});
const consumer = await connection.jetstream().consumers.get("raw", "raw");
const body = new TextEncoder().encode(JSON.stringify({ task: "noop", payload: { i: 0 } }));

Deno.bench(
  `raw JetStream: publish ${JOBS}, consume and ack them`,
  { group: "throughput" },
  async () => {
    const js = connection.jetstream();
    await Promise.all(Array.from({ length: JOBS }, () => js.publish("raw.job", body)));
    let acked = 0;
    while (acked < JOBS) {
      const messages = await consumer.fetch({
        max_messages: Math.min(CONCURRENCY, JOBS - acked),
        expires: 1_000,
      });
      for await (const message of messages) {
        message.ack();
        acked += 1;
      }
    }
  },
);
