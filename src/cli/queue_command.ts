/**
 * `naq queue pause|resume|purge <queue>`: switches of one queue, and cancelling its pending
 * jobs.
 *
 * @module
 */
import { Command } from "commander";
import { Queue } from "../queue.ts";
import { JobService } from "../services/business/jobs/job_service.ts";
import { printJson } from "./_output.ts";
import { showProgress } from "./_progress.ts";
import {
  type CommonOptions,
  openServices,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

/**
 * The `queue` command group.
 *
 * @returns a commander command with the subcommands `pause`, `resume` and `purge`
 */
export function queueCommand(): Command {
  const group = new Command("queue").description("Pause, resume or purge one queue");
  withCommonOptions(group.command("pause"), 'print { "queue", "paused": true }')
    .description("Pause a queue: workers finish running jobs and start no other until resumed")
    .argument("<queue>", "the queue", parseQueueName)
    .action(async (queue: string, options: CommonOptions) => {
      await using services = await openServices(options);
      await new Queue(queue, { services }).pause();
      // paused even so, for workers started later; but a typo deserves a word
      const known = await (await services.get(JobService)).queues();
      if (!known.includes(queue)) {
        console.error(
          `naq: note: queue ${queue} has had no jobs yet; the queues with jobs are: ` +
            `${known.join(", ") || "none"}`,
        );
      }
      if (options.json) return printJson({ queue, paused: true });
      console.log(
        `Paused queue ${queue}: workers start no job of it until naq queue resume ${queue}`,
      );
    });
  withCommonOptions(group.command("resume"), 'print { "queue", "paused": false }')
    .description("Resume a paused queue")
    .argument("<queue>", "the queue", parseQueueName)
    .action(async (queue: string, options: CommonOptions) => {
      await withQueue(queue, options, (handle) => handle.resume());
      if (options.json) return printJson({ queue, paused: false });
      console.log(`Resumed queue ${queue}`);
    });
  withCommonOptions(group.command("purge"), 'print { "queue", "cancelled": n }')
    .description("Cancel every job of a queue that has not started (delayed, waiting, retrying)")
    .argument("<queue>", "the queue", parseQueueName)
    .action(async (queue: string, options: CommonOptions) => {
      await using services = await openServices(options);
      const progress = showProgress("cancelled", 0);
      const cancelled = await (await services.get(JobService)).purge(
        queue,
        (done, total) => progress.update(done, total),
      );
      progress.done();
      if (options.json) return printJson({ queue, cancelled });
      console.log(`Cancelled ${cancelled} job${cancelled === 1 ? "" : "s"} of queue ${queue}`);
    });
  return group;
}
