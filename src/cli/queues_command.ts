/**
 * `naq queues`: every queue under the configured prefix, with its jobs counted per state.
 *
 * @module
 */
import { Command } from "commander";
import { JOB_STATES } from "../core/job.ts";
import { JobService } from "../services/mod.ts";
import { QueueStateService } from "../services/business/queue_state_service.ts";
import { examples, formatTable, printJson } from "./_output.ts";
import { type CommonOptions, openServices, withCommonOptions } from "./_options.ts";

/**
 * The `queues` command.
 *
 * @returns a commander command: `queues`
 */
export function queuesCommand(): Command {
  return withCommonOptions(
    new Command("queues"),
    'print a JSON array: [{ "queue", "paused", "delayed", "waiting", ... }]',
  )
    .description(
      "List the queues and count their jobs per state (from the server's consumer counts)",
    )
    .addHelpText("after", examples("naq queues", "naq queues --json"))
    .action(async (options: CommonOptions) => {
      await using services = await openServices(options);
      const [jobs, states] = await Promise.all([
        services.get(JobService),
        services.get(QueueStateService),
      ]);
      const queues = await jobs.queues();
      const rows = await Promise.all(
        queues.map(async (queue) => ({
          queue,
          paused: await states.isPaused(queue),
          ...await jobs.stats(queue),
        })),
      );
      if (options.json) return printJson(rows);
      if (rows.length === 0) {
        console.log(`No queues under the prefix ${services.config.prefix}`);
        return;
      }
      console.log(formatTable([
        ["QUEUE", "PAUSED", ...JOB_STATES.map((state) => state.toUpperCase())],
        ...rows.map((row) => [
          row.queue,
          row.paused ? "yes" : "no",
          ...JOB_STATES.map((state) => String(row[state])),
        ]),
      ]));
    });
}
