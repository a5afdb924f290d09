/**
 * `naq dead list|retry|purge <queue>`: the dead-letter store of a queue.
 *
 * @module
 */
import { Command } from "commander";
import type { Queue } from "../queue.ts";
import type { StoredDeadLetter } from "../services/mod.ts";
import { formatTable, formatTime, printJson } from "./_output.ts";
import { showProgress } from "./_progress.ts";
import {
  type CommonOptions,
  parseJobId,
  parsePositiveInt,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

interface DeadCommandOptions extends CommonOptions {
  limit?: number;
  job?: string;
}

/** What `dead retry` did. */
interface RetryReport {
  retried: string[];
  failed: { seq?: number; jobId?: string; error: string }[];
}

/**
 * The `dead` command group.
 *
 * @returns a commander command with the subcommands `list`, `retry` and `purge`
 */
export function deadCommand(): Command {
  const group = new Command("dead").description("List, retry or purge a queue's dead letters");
  withCommonOptions(group.command("list"), "print a JSON array of dead letters")
    .description("List a queue's dead letters, oldest first")
    .argument("<queue>", "the queue", parseQueueName)
    .option("--limit <n>", "at most this many", parsePositiveInt, 100)
    .action(async (queue: string, options: DeadCommandOptions) => {
      const letters = await withQueue(
        queue,
        options,
        (handle) => handle.deadLetters(options.limit),
      );
      if (options.json) return printJson(letters);
      if (letters.length === 0) return console.log(`No dead letters in queue ${queue}`);
      console.log(formatTable([
        ["SEQ", "JOB", "TASK", "AT", "REASON"],
        ...letters.map((letter) => [
          String(letter.seq),
          letter.job?.id ?? "-",
          letter.job?.task ?? "-",
          formatTime(letter.at),
          letter.reason.split("\n")[0],
        ]),
      ]));
    });
  withCommonOptions(group.command("retry"), 'print { "retried": [ids], "failed": [...] }')
    .description("Run a queue's dead jobs again from their first attempt: all, or --job ID")
    .argument("<queue>", "the queue", parseQueueName)
    .option("--job <id>", "retry only this job", parseJobId)
    .action(async (queue: string, options: DeadCommandOptions) => {
      const report = await withQueue(queue, options, (handle) => retryDead(handle, options.job));
      if (options.json) printJson(report);
      else {
        console.log(`Retried ${plural(report.retried.length, "dead job")} of queue ${queue}`);
        for (const failure of report.failed) {
          const which = failure.jobId ? `job ${failure.jobId}` : `dead letter ${failure.seq}`;
          console.error(`naq: could not retry ${which}: ${failure.error}`);
        }
      }
      if (report.failed.length > 0) {
        throw new Error(`${plural(report.failed.length, "dead letter")} could not be retried`);
      }
    });
  withCommonOptions(group.command("purge"), 'print { "purged": n }')
    .description("Remove every dead letter of a queue (their job records stay, as dead)")
    .argument("<queue>", "the queue", parseQueueName)
    .action(async (queue: string, options: DeadCommandOptions) => {
      const purged = await withQueue(queue, options, (handle) => handle.purgeDeadLetters());
      if (options.json) printJson({ purged });
      else console.log(`Purged ${plural(purged, "dead letter")} of queue ${queue}`);
    });
  return group;
}

async function retryDead(queue: Queue, jobId?: string): Promise<RetryReport> {
  if (jobId !== undefined) {
    await queue.retry(jobId);
    return { retried: [jobId], failed: [] };
  }
  const letters = await queue.deadLetters(Number.MAX_SAFE_INTEGER);
  const report: RetryReport = { retried: [], failed: [] };
  const progress = showProgress("retrying", letters.length);
  for (const [i, letter] of letters.entries()) {
    const failure = await retryOne(queue, letter);
    if (failure) report.failed.push(failure);
    else report.retried.push(letter.job!.id);
    progress.update(i + 1);
  }
  progress.done();
  return report;
}

async function retryOne(
  queue: Queue,
  letter: StoredDeadLetter,
): Promise<RetryReport["failed"][number] | undefined> {
  if (!letter.job) {
    return { seq: letter.seq, error: `it is not a job (${letter.reason}); purge it instead` };
  }
  try {
    await queue.retryDeadLetter(letter);
  } catch (err) {
    return { seq: letter.seq, jobId: letter.job.id, error: (err as Error).message };
  }
}
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
