/**
 * What the scheduler tests share: a server, a manager on it whose clock the test drives, a
 * queue, and a scheduler replica on the same manager.
 *
 * @module
 */
import type { ConfigInput } from "../../src/config/mod.ts";
import { Queue } from "../../src/queue.ts";
import { Scheduler } from "../../src/scheduler.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";

/** A server, a driven clock, a manager and queue `jobs` on them, and a scheduler. */
export interface SchedulerSetup extends AsyncDisposable {
  readonly server: NatsServer;
  readonly clock: ManualClock;
  readonly services: ServiceManager;
  readonly queue: Queue;
  readonly scheduler: Scheduler;
  /** Starts the scheduler and waits until it leads. */
  lead(): Promise<void>;
}

/** Starts a server, and a manager whose time only moves when the test advances `clock`. */
export async function schedulerSetup(
  options: { config?: ConfigInput; start?: number } = {},
): Promise<SchedulerSetup> {
  const server = await startNatsServer();
  const clock = new ManualClock(options.start);
  const services = new ServiceManager(testConfig(server.url, options.config), { clock });
  const queue = new Queue("jobs", { services });
  const scheduler = new Scheduler({ services, handleSignals: false, logger: silent });
  return {
    server,
    clock,
    services,
    queue,
    scheduler,
    async lead() {
      void scheduler.run();
      await waitFor("the scheduler to lead", () => scheduler.status.leading);
    },
    async [Symbol.asyncDispose]() {
      await scheduler.close();
      await queue.close();
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}
