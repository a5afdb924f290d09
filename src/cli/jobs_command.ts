/**
 * `naq jobs <queue>`: a queue's jobs, newest first.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import { Command, Option } from "commander";
import { JOB_STATES, type JobRecord, type JobState } from "../core/job.ts";
import { examples, formatAge, formatTable, printJson } from "./_output.ts";
import {
  type CommonOptions,
  parsePositiveInt,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

interface JobsCommandOptions extends CommonOptions {
  state?: JobState;
  limit: number;
}

/**
 * The `jobs` command.
 *
 * @returns a commander command: `jobs <queue> [--state S] [--limit N]`
 */
export function jobsCommand(): Command {
  return withCommonOptions(new Command("jobs"), "print a JSON array of job records")
    .description("List a queue's jobs, newest first (a scan of its records)")
    .argument("<queue>", "the queue", parseQueueName)
    .addOption(new Option("--state <state>", "only jobs in this state").choices(JOB_STATES))
    .option("--limit <n>", "at most this many", parsePositiveInt, 100)
    .addHelpText(
      "after",
      examples(
        "naq jobs emails",
        "naq jobs emails --state delayed",
        "naq jobs emails --state dead --limit 20 --json",
      ),
    )
    .action(async (queue: string, options: JobsCommandOptions) => {
      const jobs = await withQueue(
        queue,
        options,
        (handle) => handle.listJobs({ state: options.state, limit: options.limit }),
      );
      if (options.json) return printJson(jobs);
      if (jobs.length === 0) {
        console.log(`No ${options.state ? `${options.state} ` : ""}jobs in queue ${queue}`);
        return;
      }
      const now = systemClock.now(); // ages are on the operator's clock
      console.log(formatTable([
        ["ID", "TASK", "STATE", "ATTEMPT", "ENQUEUED", "DUE", "LAST ERROR / REASON"],
        ...jobs.map((job) => [
          job.id,
          job.task,
          job.state,
          `${job.attempt}/${job.options.attempts}`,
          formatAge(job.enqueuedAt, now),
          formatAge(dueAt(job), now),
          lastError(job),
        ]),
      ]));
    });
}

/** When a delayed job runs, or a failed one is retried. */
function dueAt(job: JobRecord): number | undefined {
  return job.state === "delayed" ? job.runAt : job.state === "failed" ? job.retryAt : undefined;
}

/** The job's last error, or for a dead job that never failed an attempt, why it is dead. */
function lastError(job: JobRecord): string {
  const error = job.errors.at(-1)?.message ?? (job.state === "dead" ? job.deadReason : "-");
  return error.split("\n")[0];
}
