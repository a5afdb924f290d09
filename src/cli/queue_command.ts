/**
 * `naq queue pause|resume|purge|delete <queue>`: switches of one queue, cancelling its pending
 * jobs, and deleting it.
 *
 * @module
 */
import { Command } from "commander";
import { Queue } from "../queue.ts";
import { DeadLetterService } from "../services/business/dead_letter_service.ts";
import { JobService } from "../services/business/jobs/job_service.ts";
import { confirm, type ConfirmOptions, withConfirmOptions } from "./_confirm.ts";
import { examples, plural, printJson } from "./_output.ts";
import { showProgress } from "./_progress.ts";
import {
  type CommonOptions,
  openServices,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

interface QueueCommandOptions extends CommonOptions, ConfirmOptions {}

/**
 * The `queue` command group.
 *
 * @returns a commander command with the subcommands `pause`, `resume`, `purge` and `delete`
 */
export function queueCommand(): Command {
  const group = new Command("queue").description("Pause, resume, purge or delete one queue");
  group.addHelpText(
    "after",
    examples(
      "naq queue pause emails",
      "naq queue purge emails --dry-run",
      "naq queue delete old-emails --yes",
    ),
  );
  withCommonOptions(group.command("pause"), 'print { "queue", "paused": true }')
    .description("Pause a queue: workers finish running jobs and start no other until resumed")
    .argument("<queue>", "the queue", parseQueueName)
    .addHelpText("after", examples("naq queue pause emails"))
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
    .addHelpText("after", examples("naq queue resume emails"))
    .action(async (queue: string, options: CommonOptions) => {
      await withQueue(queue, options, (handle) => handle.resume());
      if (options.json) return printJson({ queue, paused: false });
      console.log(`Resumed queue ${queue}`);
    });
  withConfirmOptions(withCommonOptions(group.command("purge"), 'print { "queue", "cancelled": n }'))
    .description("Cancel every job of a queue that has not started (delayed, waiting, retrying)")
    .argument("<queue>", "the queue", parseQueueName)
    .addHelpText("after", examples("naq queue purge emails", "naq queue purge emails --yes"))
    .action(async (queue: string, options: QueueCommandOptions, command: Command) => {
      await using services = await openServices(options);
      const stats = await new Queue(queue, { services }).stats();
      const pending = stats.delayed + stats.waiting + stats.failed;
      const what = `cancel ${plural(pending, "job")} of queue ${queue} that ha${
        pending === 1 ? "s" : "ve"
      } not started`;
      if (options.dryRun) {
        if (options.json) return printJson({ queue, dryRun: true, pending });
        return console.log(`Would ${what}; nothing was done`);
      }
      await confirm(command, options, what);
      const progress = showProgress("cancelled", 0);
      const cancelled = await (await services.get(JobService)).purge(
        queue,
        (done, total) => progress.update(done, total),
      );
      progress.done();
      if (options.json) return printJson({ queue, cancelled });
      console.log(`Cancelled ${plural(cancelled, "job")} of queue ${queue}`);
    });
  withConfirmOptions(
    withCommonOptions(
      group.command("delete"),
      'print { "queue", "deleted": true, "messages", "schedules", "deadLetters" }',
    ),
  )
    .description(
      "Delete a queue: its schedules, its stream with every job and its consumers, its dead " +
        "letters and paused flag (stop its workers first)",
    )
    .argument("<queue>", "the queue", parseQueueName)
    .addHelpText(
      "after",
      examples("naq queue delete old-emails --dry-run", "naq queue delete old-emails --yes"),
    )
    .action(async (queue: string, options: QueueCommandOptions, command: Command) => {
      await using services = await openServices(options);
      const handle = new Queue(queue, { services });
      const jobs = await services.get(JobService);
      const [stored, schedules, deadLetters] = await Promise.all([
        jobs.messageCount(queue),
        handle.listSchedules(),
        (await services.get(DeadLetterService)).count(queue),
      ]);
      if (stored === null && schedules.length === 0 && deadLetters === 0) {
        const known = await jobs.queues();
        throw new Error(
          `Queue ${queue} does not exist (no stream, schedule or dead letter); the queues are: ` +
            `${known.join(", ") || "none"}`,
        );
      }
      const messages = stored ?? 0;
      const counts = {
        messages,
        schedules: schedules.length,
        deadLetters,
      };
      const what = `delete queue ${queue}: ${plural(messages, "job message")} and its ` +
        `consumers, ${plural(schedules.length, "schedule")} and ${
          plural(deadLetters, "dead letter")
        }`;
      if (options.dryRun) {
        if (options.json) return printJson({ queue, dryRun: true, ...counts });
        return console.log(`Would ${what}; nothing was done`);
      }
      await confirm(command, options, what);
      const deleted = await handle.delete();
      if (options.json) {
        return printJson({
          queue,
          deleted: true,
          messages: deleted.messages,
          schedules: deleted.schedules,
          deadLetters: deleted.deadLetters,
        });
      }
      console.log(
        `Deleted queue ${queue}: ${plural(deleted.messages, "job message")} and its consumers, ` +
          `${plural(deleted.schedules, "schedule")} and ${
            plural(deleted.deadLetters, "dead letter")
          }`,
      );
    });
  return group;
}
