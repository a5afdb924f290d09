/**
 * A naq Worker in its own process, so that bench/report_scheduler.ts can read its CPU time
 * from /proc: `deno run -A bench/_worker_process.ts <server url> <queue> <task>…`.
 *
 * It runs as a deployment would: one Worker with its scheduler replica (the default), which
 * fires cron and `every` schedules. Each task's handler does nothing but note when it
 * started; those notes go to stdout as JSON lines `{"task","id","attempt","at"}`, written
 * in batches, so that the handler itself costs next to nothing.
 */
import { createConfig } from "../src/config/mod.ts";
import { defineTask } from "../src/task.ts";
import { Worker } from "../src/worker.ts";

const [url, queue, ...taskNames] = Deno.args;
if (!url || !queue || taskNames.length === 0) {
  console.error("usage: _worker_process.ts <server url> <queue> <task>…");
  Deno.exit(2);
}

interface Started {
  readonly task: string;
  readonly id: string;
  readonly attempt: number;
  readonly at: number;
}

let pending: Started[] = [];
const encoder = new TextEncoder();
const flush = async () => {
  if (pending.length === 0) return;
  const lines = pending.map((started) => JSON.stringify(started)).join("\n") + "\n";
  pending = [];
  await Deno.stdout.write(encoder.encode(lines));
};
// a flush only when something started: an idle worker's only timers are naq's own
let flushing: Promise<void> | undefined;
const note = (started: Started) => {
  pending.push(started);
  flushing ??= new Promise<void>((resolve) => setTimeout(resolve, 20))
    .then(flush)
    .finally(() => flushing = undefined);
};

const tasks = taskNames.map((name) =>
  defineTask(name, (_payload: unknown, ctx) => {
    note({ task: name, id: ctx.jobId, attempt: ctx.attempt, at: Date.now() });
  })
);

const worker = new Worker(queue, tasks, {
  config: createConfig({ nats: { servers: [url] } }),
  concurrency: 64,
  // one line per job outcome would be most of the CPU measured; warnings and errors stay
  logger: { info() {}, warn: console.warn, error: console.error },
});
await worker.run();
await flush();
