/**
 * A scheduler replica in its own process, so a bench can read its CPU time from /proc:
 * `deno run -A _scheduler_process.ts <server url>`. Prints its index size every 100 ms.
 */
import { createConfig } from "../src/config/mod.ts";
import { Scheduler } from "../src/scheduler.ts";

const scheduler = new Scheduler({
  config: createConfig({ nats: { servers: [Deno.args[0]] } }),
  logger: { info() {}, warn: console.warn, error: console.error },
});
const running = scheduler.run();
const report = setInterval(() => console.log(JSON.stringify(scheduler.status)), 100);
await running;
clearInterval(report);
