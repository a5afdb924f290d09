/**
 * `naq workers`: the workers and scheduler replicas running now, from the worker registry,
 * with the jobs each runs.
 *
 * @module
 */
import { Command } from "commander";
import { systemClock } from "../clock.ts";
import type { WorkerEntry } from "../core/worker_entry.ts";
import { WorkerRegistry } from "../services/mod.ts";
import { examples, formatAge, formatTable, printJson } from "./_output.ts";
import { type CommonOptions, openServices, parseQueueName, withCommonOptions } from "./_options.ts";

interface WorkersCommandOptions extends CommonOptions {
  queue?: string;
}

/**
 * The `workers` command.
 *
 * @returns a commander command: `workers [--queue Q]`
 */
export function workersCommand(): Command {
  return withCommonOptions(
    new Command("workers"),
    'print a JSON array: [{ "id", "kind", "host", "pid", "queues", "running", ... }]',
  )
    .description(
      "List the workers and scheduler replicas running now, with the jobs each runs (as of " +
        "its last heartbeat)",
    )
    .option("--queue <queue>", "only the workers taking jobs from this queue", parseQueueName)
    .addHelpText(
      "after",
      examples("naq workers", "naq workers --queue emails", "naq workers --json"),
    )
    .action(async (options: WorkersCommandOptions) => {
      await using services = await openServices(options);
      const registry = await services.get(WorkerRegistry);
      const entries = await registry.list({ queue: options.queue });
      if (options.json) return printJson(entries);
      if (entries.length === 0) {
        console.log(
          options.queue === undefined
            ? `No worker or scheduler is running under the prefix ${services.config.prefix}`
            : `No worker is taking jobs from queue ${options.queue}`,
        );
        return;
      }
      const now = systemClock.now(); // ages are on the operator's clock
      console.log(workersTable(entries, now));
      const jobs = entries.flatMap((entry) => entry.running.map((job) => ({ entry, job })));
      if (jobs.length === 0) return;
      console.log(`\nRunning jobs:\n${
        formatTable([
          ["WORKER", "QUEUE", "TASK", "JOB", "STARTED"],
          ...jobs.map(({ entry, job }) => [
            entry.id,
            job.queue,
            job.task,
            job.jobId,
            formatAge(job.since, now),
          ]),
        ])
      }`);
    });
}

function workersTable(entries: readonly WorkerEntry[], now: number): string {
  return formatTable([
    ["KIND", "ID", "HOST", "PID", "STATE", "QUEUES", "RUNNING", "STARTED", "HEARTBEAT", "VERSION"],
    ...entries.map((entry) => [
      entry.kind,
      entry.id,
      entry.host,
      String(entry.pid),
      entry.state,
      entry.queues.join(",") || "-",
      entry.kind === "worker" ? `${entry.running.length}/${entry.concurrency}` : "-",
      formatAge(entry.startedAt, now),
      formatAge(entry.heartbeatAt, now),
      entry.version,
    ]),
  ]);
}
