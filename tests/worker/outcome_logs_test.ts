/**
 * Every outcome logs a line with the queue, task, job id and reason: even a job that never
 * ran, dead at its claim (an unknown task, too many stalls) and a message that is not a job.
 */
import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { JobService } from "../../src/services/business/jobs/job_service.ts";
import { WorkerJobs } from "../../src/services/business/jobs/worker_jobs.ts";
import { defineTask } from "../../src/task.ts";
import { Worker, type WorkerLogger } from "../../src/worker.ts";
import { setup } from "../queue/_setup.ts";

interface Line {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/** A logger that keeps its lines, and wakes whoever waits for one. */
function capture() {
  const lines: Line[] = [];
  let changed = Promise.withResolvers<void>();
  const keep = (level: Line["level"]) => (message: string, data?: Record<string, unknown>) => {
    lines.push({ level, message, data: data ?? {} });
    changed.resolve();
    changed = Promise.withResolvers();
  };
  const logger: WorkerLogger = { info: keep("info"), warn: keep("warn"), error: keep("error") };
  return {
    logger,
    lines,
    async next(match: (line: Line) => boolean): Promise<Line> {
      for (;;) {
        const line = lines.find(match);
        if (line) return line;
        await changed.promise;
      }
    },
  };
}

const ok = defineTask("ok", () => "ok");
const boom = defineTask("boom", () => {
  throw new Error("it went boom");
}, { attempts: 2 });

Deno.test("every outcome logs a line with its queue, task, job id and reason", async () => {
  await using env = await setup({ config: { queueDefaults: { ackWait: "1s", maxStalls: 0 } } });
  const log = capture();
  await using worker = new Worker("jobs", [ok, boom], {
    services: env.services,
    handleSignals: false,
    logger: log.logger,
  });
  void worker.run();
  const about = (jobId: string) => (line: Line) => line.data.jobId === jobId;

  await (await env.queue.enqueue(ok, null, { jobId: "fine" })).result({ timeout: "30s" });
  const done = await log.next(about("fine"));
  assert.equal(done.level, "info");
  assert.match(done.message, /^completed in \d+ ms$/);
  assert.deepEqual(
    { ...done.data, durationMs: typeof done.data.durationMs },
    { queue: "jobs", task: "ok", jobId: "fine", attempt: 1, durationMs: "number" },
  );

  await assert.rejects(
    env.queue.enqueue(boom, null, { jobId: "bad" }).then((job) => job.result({ timeout: "30s" })),
  );
  const failed = await log.next((line) => about("bad")(line) && line.data.attempt === 1);
  assert.equal(failed.level, "warn");
  assert.match(failed.message, /^failed attempt 1; retry in \d+ ms$/);
  assert.equal(failed.data.error, "it went boom");
  const dead = await log.next((line) => about("bad")(line) && line.data.attempt === 2);
  assert.equal(dead.level, "warn");
  assert.match(dead.message, /^dead after attempt 2: /);
  assert.equal(dead.data.error, "it went boom");

  // a task this worker does not know: dead at its claim, never run
  await env.queue.enqueue("nobody-knows", null, { jobId: "unknown" });
  const unknown = await log.next(about("unknown"));
  assert.equal(unknown.level, "warn");
  assert.match(unknown.message, /^dead at its claim: no task named "nobody-knows"/);
  assert.deepEqual(unknown.data, {
    queue: "jobs",
    task: "nobody-knows",
    jobId: "unknown",
    attempt: 0,
  });

  // not a job at all
  const subject = wireNames(env.services.config.prefix).jobSubject("jobs", "x", "run");
  await (await env.services.get(JobService)).ensureQueue("jobs");
  await (await env.services.get(ConnectionService)).jetstream().publish(subject, "{not json");
  const poison = await log.next((line) =>
    /dead at its claim/.test(line.message) && !line.data.jobId
  );
  assert.equal(poison.level, "warn");
  assert.equal(poison.data.queue, "jobs");

  // a job whose worker stopped without an outcome, more often than maxStalls (0) allows: a
  // pull that never settles its message stands for a worker that died holding it
  await worker.close();
  const jobs = await env.services.get(WorkerJobs);
  await env.queue.enqueue(ok, null, { jobId: "stalled" });
  const stopPulling = new AbortController();
  const held = Promise.withResolvers<void>();
  const pulling = (await jobs.consumer("jobs")).pull(1, stopPulling.signal, () => held.resolve());
  await held.promise;
  stopPulling.abort();
  await pulling;
  await using rerun = new Worker("jobs", [ok], {
    services: env.services,
    handleSignals: false,
    logger: log.logger,
  });
  void rerun.run();
  const stalled = await log.next(about("stalled"));
  assert.equal(stalled.level, "warn");
  assert.match(
    stalled.message,
    /^dead at its claim: attempt 1 of \d+ stopped without an outcome 1 times/,
  );
});

Deno.test("a job cancelled while it runs logs one line, at info, and no warning of a dropped outcome", async () => {
  await using env = await setup();
  const log = capture();
  const started = Promise.withResolvers<void>();
  const waits = defineTask("waits", (_payload: null, ctx) => {
    started.resolve();
    return new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
    });
  });
  const worker = new Worker("jobs", [waits], {
    services: env.services,
    handleSignals: false,
    logger: log.logger,
  });
  void worker.run();
  await env.queue.enqueue(waits, null, { jobId: "stopped" });
  await started.promise;
  assert.equal(await env.queue.cancel("stopped"), true);
  const cancelled = await log.next((line) => line.data.jobId === "stopped");
  assert.equal(cancelled.level, "info");
  assert.equal(cancelled.message, "cancelled while running");
  // close() waits for the job's settling, where a dropped outcome would be logged
  await worker.close();
  assert.deepEqual(
    log.lines.filter((line) => line.data.jobId === "stopped").map((line) => line.message),
    ["cancelled while running"],
  );
});
