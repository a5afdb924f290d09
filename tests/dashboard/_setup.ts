/**
 * A dashboard over a real nats-server holding jobs in every state: what the dashboard
 * tests share.
 *
 * @module
 */
import type { JobState } from "../../src/core/job.ts";
import { serveDashboard, type ServedDashboard } from "../../src/dashboard/mod.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { type NatsServer, startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";

/** The token of the test dashboard. */
export const TOKEN = "test-token-7f3a";

/** Markup that would run if any page failed to escape it. */
export const HOSTILE = `<script>window.pwned = 1</script><img src=x onerror="window.pwned = 1">`;

/** How many jobs wait in queue `backlog`: more than one page. */
export const BACKLOG = 63;

/** The dashboard, its server, and the jobs it shows; `await using` tears it all down. */
export interface DashboardSetup extends AsyncDisposable {
  readonly server: NatsServer;
  readonly services: ServiceManager;
  /** Queue `jobs`: a worker runs it, and it holds jobs in every state but waiting. */
  readonly jobs: Queue;
  /** Queue `backlog`: no worker, its jobs wait. */
  readonly backlog: Queue;
  readonly dashboard: ServedDashboard;
  /** The id of one job in each state. */
  readonly ids: Readonly<Record<JobState, string>>;
  /** Lets the active job finish. */
  release(): void;
}

/** Starts a server, a worker, a dashboard, and puts a job in every state. */
export async function setupDashboard(): Promise<DashboardSetup> {
  const server = await startNatsServer();
  const services = new ServiceManager(
    testConfig(server.url, { queueDefaults: { backoff: { delay: 20, jitter: 0 } } }),
  );
  const jobs = new Queue("jobs", { services });
  const backlog = new Queue("backlog", { services });
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  // fails the first time each job runs, then succeeds: a dead one retried completes
  const failedOnce = new Set<string>();
  const tasks = [
    defineTask("echo", (payload: unknown) => ({ echoed: payload })),
    defineTask("gated", async () => await gate),
    defineTask("flaky", (_payload: unknown, ctx) => {
      if (failedOnce.has(ctx.jobId)) return "fine the second time";
      failedOnce.add(ctx.jobId);
      throw new Error(`first run fails: ${HOSTILE}`);
    }),
  ];
  const worker = new Worker("jobs", tasks, {
    services,
    concurrency: 4,
    handleSignals: false,
    logger: silent,
    shutdownTimeout: 2_000,
  });
  void worker.run();

  // the streams first, so that the dashboard hears every later job from its start
  const completed = await jobs.enqueue("echo", { hello: "world", html: HOSTILE });
  await completed.result({ timeout: "30s" });
  const waiting = await backlog.enqueue("echo", { waits: true });
  const dashboard = await serveDashboard({ services, port: 0, token: TOKEN });
  await (await fetch(dashboard.url)).body?.cancel();

  for (let i = 0; i < 4; i++) {
    await (await jobs.enqueue("echo", { n: i })).result({ timeout: "30s" });
  }
  const dead = await jobs.enqueue("flaky", { html: HOSTILE }, { attempts: 1 });
  await dead.result({ timeout: "30s" }).catch(() => {});
  // one attempt failed, the next due in an hour
  const failed = await jobs.enqueue("flaky", { n: 1 }, {
    attempts: 3,
    backoff: { type: "fixed", delay: "1h" },
  });
  await waitFor("the failed job", async () => (await jobs.getJob(failed.id))?.state === "failed");
  const active = await jobs.enqueue("gated", null);
  await waitFor("the active job", async () => (await jobs.getJob(active.id))?.state === "active");
  const delayed = await jobs.enqueue("echo", { later: true }, { delay: "1h" });
  const cancelled = await jobs.enqueue("echo", { never: true }, { delay: "1h" });
  await jobs.cancel(cancelled.id);
  // more than a page of them
  await backlog.enqueueMany(
    Array.from({ length: BACKLOG - 1 }, (_, i) => ({ task: "echo", payload: { waits: i } })),
  );

  return {
    server,
    services,
    jobs,
    backlog,
    dashboard,
    ids: {
      waiting: waiting.id,
      delayed: delayed.id,
      active: active.id,
      failed: failed.id,
      completed: completed.id,
      dead: dead.id,
      cancelled: cancelled.id,
    },
    release,
    async [Symbol.asyncDispose]() {
      release();
      await dashboard.close();
      await worker.close();
      await services.close();
      await server[Symbol.asyncDispose]();
    },
  };
}
