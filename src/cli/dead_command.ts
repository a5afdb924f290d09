/**
 * `naq dead list|retry|purge <queue>`: the dead-letter store of a queue.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import { Command } from "commander";
import { Queue } from "../queue.ts";
import { DeadLetterService } from "../services/business/dead_letter_service.ts";
import type { ServiceManager, StoredDeadLetter } from "../services/mod.ts";
import { confirm, type ConfirmOptions, withConfirmOptions } from "./_confirm.ts";
import { examples, formatAge, formatTable, plural, printJson } from "./_output.ts";
import { showProgress } from "./_progress.ts";
import {
  type CommonOptions,
  openServices,
  parseJobId,
  parsePositiveInt,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

interface DeadCommandOptions extends CommonOptions, ConfirmOptions {
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
  group.addHelpText(
    "after",
    examples(
      "naq dead list emails",
      "naq dead retry emails --job welcome-42",
      "naq dead purge emails --dry-run",
    ),
  );
  withCommonOptions(group.command("list"), "print a JSON array of dead letters")
    .description("List a queue's dead letters, oldest first")
    .argument("<queue>", "the queue", parseQueueName)
    .option("--limit <n>", "at most this many", parsePositiveInt, 100)
    .addHelpText(
      "after",
      examples("naq dead list emails", "naq dead list emails --limit 10 --json"),
    )
    .action(async (queue: string, options: DeadCommandOptions) => {
      const letters = await withQueue(
        queue,
        options,
        (handle) => handle.deadLetters(options.limit),
      );
      if (options.json) return printJson(letters);
      if (letters.length === 0) return console.log(`No dead letters in queue ${queue}`);
      const now = systemClock.now(); // ages are on the operator's clock
      console.log(formatTable([
        ["SEQ", "JOB", "TASK", "AT", "REASON", "LAST ERROR"],
        ...letters.map((letter) => [
          String(letter.seq),
          letter.job?.id ?? "-",
          letter.job?.task ?? "-",
          formatAge(letter.at, now),
          letter.reason.split("\n")[0],
          letter.job?.errors.at(-1)?.message.split("\n")[0] ?? "-",
        ]),
      ]));
    });
  withConfirmOptions(
    withCommonOptions(group.command("retry"), 'print { "retried": [ids], "failed": [...] }'),
  )
    .description("Run a queue's dead jobs again from their first attempt: all, or --job ID")
    .argument("<queue>", "the queue", parseQueueName)
    .option("--job <id>", "retry only this job (asks nothing)", parseJobId)
    .addHelpText(
      "after",
      examples("naq dead retry emails --job welcome-42", "naq dead retry emails --yes"),
    )
    .action(async (queue: string, options: DeadCommandOptions, command: Command) => {
      await using services = await openServices(options);
      const handle = new Queue(queue, { services });
      if (options.job === undefined) {
        if (!await goAhead(services, queue, "retry", options, command)) return;
      } else if (options.dryRun) {
        const job = await handle.getJob(options.job);
        const dead = job?.state === "dead";
        if (options.json) return printJson({ queue, dryRun: true, deadLetters: dead ? 1 : 0 });
        return console.log(
          `Would retry ${dead ? "" : "no "}job ${options.job}${
            dead ? "" : ` (it is ${job?.state ?? "unknown"})`
          }; nothing was done`,
        );
      }
      const report = await retryDead(handle, options.job);
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
  withConfirmOptions(withCommonOptions(group.command("purge"), 'print { "purged": n }'))
    .description("Remove every dead letter of a queue (their job records stay, as dead)")
    .argument("<queue>", "the queue", parseQueueName)
    .addHelpText("after", examples("naq dead purge emails --dry-run", "naq dead purge emails -y"))
    .action(async (queue: string, options: DeadCommandOptions, command: Command) => {
      await using services = await openServices(options);
      if (!await goAhead(services, queue, "remove", options, command)) return;
      const purged = await new Queue(queue, { services }).purgeDeadLetters();
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

/**
 * With `--dry-run`, says what doing `verb` to every dead letter of the queue would concern, and
 * returns false; otherwise asks first (see `confirm`), and returns true to go ahead.
 */
async function goAhead(
  services: ServiceManager,
  queue: string,
  verb: string,
  options: DeadCommandOptions,
  command: Command,
): Promise<boolean> {
  const count = await (await services.get(DeadLetterService)).count(queue);
  const what = `${verb} ${plural(count, "dead letter")} of queue ${queue}`;
  if (options.dryRun) {
    if (options.json) printJson({ queue, dryRun: true, deadLetters: count });
    else console.log(`Would ${what}; nothing was done`);
    return false;
  }
  await confirm(command, options, what);
  return true;
}
