/**
 * BullMQ in bench/report_compare.ts, under Deno, on the Redis server the report started: a
 * Queue, `addBulk` for a batch, one Worker at concurrency 64, and for results what BullMQ
 * offers a producer, `job.waitUntilFinished(queueEvents)`. BullMQ's defaults otherwise: jobs
 * and their return values are kept after completion, as naq keeps its records.
 */
import { type Job, Queue, QueueEvents, Worker } from "bullmq";
import type { Payload, SystemUnderTest } from "./_compare_shape.ts";

/**
 * The BullMQ side of the comparison.
 *
 * @param port the Redis server's port on 127.0.0.1
 * @param logged collects the errors the worker emits
 */
export function bullmqSystem(port: number, logged: string[]): SystemUnderTest<Job> & {
  /** The commands every Redis connection of this process has sent so far. */
  commandsSent(): number;
} {
  const connection = { host: "127.0.0.1", port };
  const queue = new Queue<Payload>("compare", { connection });
  const events = new QueueEvents("compare", { connection });
  // each waitUntilFinished() listens on the QueueEvents for the job's own events, and on the
  // Queue for its closing: 20,000 waiters are not a leak
  events.setMaxListeners(0);
  queue.setMaxListeners(0);
  let worker: Worker<Payload> | undefined;
  let commandsSent = 0;

  return {
    async prepare() {
      await queue.waitUntilReady();
      countCommands(await queue.client, () => commandsSent++);
      await events.waitUntilReady();
    },
    async enqueueBatch(payloads) {
      return await queue.addBulk(payloads.map((data) => ({ name: "noop", data })));
    },
    async startWorker(concurrency) {
      worker = new Worker<Payload>("compare", (_job) => Promise.resolve(null), {
        connection,
        concurrency,
      });
      worker.on("error", (err) => logged.push(`worker error: ${err.message}`));
      worker.on("failed", (_job, err) => logged.push(`job failed: ${err.message}`));
      await worker.waitUntilReady();
    },
    async result(job) {
      return await job.waitUntilFinished(events);
    },
    async roundTrip(payload) {
      return await (await queue.add("noop", payload)).waitUntilFinished(events);
    },
    commandsSent() {
      return commandsSent;
    },
    async close() {
      try {
        await worker?.close();
      } finally {
        await events.close();
        await queue.close();
      }
    },
  };
}

/**
 * Calls `count` for every command any ioredis connection sends from now on.
 *
 * Redis's own count (`INFO` total_commands_processed) includes the commands its Lua scripts
 * run, and nearly every BullMQ call is a script, so it says nothing about messages between
 * client and server. What a client sends, pipelined or not, goes through ioredis's
 * `sendCommand`, on the prototype that all of BullMQ's connections share: wrap that.
 */
function countCommands(client: object, count: () => void): void {
  type Send = (this: unknown, ...args: unknown[]) => unknown;
  const prototype = Object.getPrototypeOf(client) as { sendCommand: Send };
  const send = prototype.sendCommand;
  prototype.sendCommand = function (...args) {
    count();
    return send.apply(this, args);
  };
}
