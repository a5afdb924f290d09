/**
 * naq in bench/report_compare.ts, through its public API only (mod.ts), so that the bench
 * keeps measuring whatever the job core becomes: a Queue, a default Worker (with its
 * scheduler replica) on a connection of its own, and `result()` for every job.
 */
import { createConfig, defineTask, type JobHandle, Queue, Worker } from "../mod.ts";
import type { Payload, SystemUnderTest } from "./_compare_shape.ts";

/**
 * The naq side of the comparison.
 *
 * @param url the nats-server's client URL
 * @param logged collects what the worker logs as warnings and errors
 */
export function naqSystem(url: string, logged: string[]): SystemUnderTest<JobHandle> {
  const config = createConfig({ nats: { servers: [url] } });
  const noop = defineTask("noop", (_payload: Payload) => null);
  const queue = new Queue("compare", { config });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const line = `${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`;
    logged.push(line);
    console.error(`naq ${line}`);
  };

  return {
    async prepare() {
      // connects and creates the queue's streams and buckets
      await queue.stats();
    },
    async enqueueBatch(payloads) {
      return await queue.enqueueMany(payloads.map((payload) => ({ task: noop, payload })));
    },
    startWorker(concurrency) {
      worker = new Worker("compare", [noop], {
        config,
        concurrency,
        handleSignals: false,
        logger: { info() {}, warn: log("warn"), error: log("error") },
      });
      running = worker.run();
      return Promise.resolve();
    },
    async result(handle) {
      return await handle.result();
    },
    async roundTrip(payload) {
      return await (await queue.enqueue(noop, payload)).result();
    },
    async close() {
      try {
        await worker?.close();
        await running;
      } finally {
        await queue.close();
      }
    },
  };
}
