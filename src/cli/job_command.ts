/**
 * `naq job show|cancel|retry|result <id> --queue Q`: one job, by id.
 *
 * @module
 */
import { Command } from "commander";
import type { JobRecord } from "../core/job.ts";
import type { JobEvent } from "../core/job_event.ts";
import { ErrorCode, NaqError } from "../errors.ts";
import { examples, formatTable, formatTime, formatValue, printJson } from "./_output.ts";
import {
  type CommonOptions,
  parseDurationOption,
  parseJobId,
  parseQueueName,
  withCommonOptions,
  withQueue,
} from "./_options.ts";
import { printResult } from "./_wait.ts";
import { formatEvent } from "./events_command.ts";

interface JobCommandOptions extends CommonOptions {
  queue: string;
  timeout?: number;
  events?: boolean;
}

/**
 * The `job` command group.
 *
 * @returns a commander command with the subcommands `show`, `cancel`, `retry` and `result`
 */
export function jobCommand(): Command {
  const group = new Command("job").description("Show, cancel, retry or wait for one job");
  group.addHelpText(
    "after",
    examples(
      "naq job show welcome-42 --queue emails",
      "naq job show welcome-42 --queue emails --events",
      "naq job result welcome-42 --queue emails --timeout 1m",
      "naq job cancel welcome-42 --queue emails",
    ),
  );
  subcommand(group, "show", "Print a job in any state, with its attempts and errors")
    .option(
      "--events",
      "also print its timeline: its events the events stream keeps (JSON: in `events`)",
    )
    .action(async (id: string, options: JobCommandOptions) => {
      const { job, events } = await withQueue(options.queue, options, async (queue) => {
        const job = await queue.getJob(id);
        if (!job) throw notFound(id, options.queue);
        return { job, events: options.events ? await queue.jobEvents(job) : undefined };
      });
      if (options.json) console.log(JSON.stringify(events ? { ...job, events } : job));
      else console.log(events ? `${showJob(job)}\n${showTimeline(events)}` : showJob(job));
    });
  subcommand(group, "cancel", "Cancel a job that has not finished; a running one is aborted")
    .action(async (id: string, options: JobCommandOptions) => {
      await withQueue(options.queue, options, async (queue) => {
        if (await queue.cancel(id)) return;
        const job = await queue.getJob(id);
        if (!job) throw notFound(id, options.queue);
        throw new RangeError(
          `Cannot cancel job ${id} in queue ${options.queue}: it is ${job.state} already, and ` +
            `only jobs that have not finished can be cancelled`,
        );
      });
      if (options.json) printJson({ id, queue: options.queue, state: "cancelled" });
      else console.log(`Cancelled job ${id} in queue ${options.queue}`);
    });
  subcommand(group, "retry", "Run a dead job again from its first attempt")
    .action(async (id: string, options: JobCommandOptions) => {
      const job = await withQueue(options.queue, options, (queue) => queue.retry(id));
      if (options.json) printJson(job);
      else console.log(`Job ${id} in queue ${options.queue} is waiting again`);
    });
  subcommand(group, "result", "Wait for a job to finish and print its result")
    .option(
      "--timeout <duration>",
      "give up after this long (default: wait forever)",
      parseDurationOption,
    )
    .action(async (id: string, options: JobCommandOptions) => {
      await withQueue(
        options.queue,
        options,
        (queue) => printResult(queue, id, { timeoutMs: options.timeout, json: options.json }),
      );
    });
  return group;
}

function subcommand(group: Command, name: string, description: string): Command {
  return withCommonOptions(group.command(name), "print JSON instead of text")
    .description(description)
    .argument("<id>", "the job's id", parseJobId)
    .requiredOption("--queue <queue>", "the job's queue", parseQueueName)
    .addHelpText(
      "after",
      examples(
        `naq job ${name} welcome-42 --queue emails`,
        ...name === "result" ? ["naq job result welcome-42 --queue emails --timeout 1m"] : [],
        ...name === "show" ? ["naq job show welcome-42 --queue emails --events"] : [],
        `naq job ${name} welcome-42 --queue emails --json`,
      ),
    );
}

function notFound(id: string, queue: string): NaqError {
  return new NaqError(
    ErrorCode.NotFound,
    `Job ${id} is not in queue ${queue}: it never was, or its record expired (results.ttl)`,
  );
}

/** A job as `key  value` lines, then its errors. */
export function showJob(job: JobRecord): string {
  const rows: string[][] = [
    ["id", job.id],
    ["queue", job.queue],
    ["task", job.task],
    ["state", job.state],
    ["attempt", `${job.attempt} of ${job.options.attempts}`],
    ["enqueued", formatTime(job.enqueuedAt)],
    ["started", formatTime(job.startedAt)],
    ["finished", formatTime("finishedAt" in job ? job.finishedAt : undefined)],
  ];
  if (job.state === "delayed") rows.push(["run at", formatTime(job.runAt)]);
  if (job.state === "failed") rows.push(["retry at", formatTime(job.retryAt)]);
  if (job.worker !== undefined) rows.push(["worker", job.worker]);
  rows.push(["payload", formatValue(job.payload, 200)]);
  if (job.progress !== undefined) rows.push(["progress", formatValue(job.progress, 200)]);
  if (job.state === "completed") rows.push(["result", formatValue(job.result ?? null, 200)]);
  if (job.state === "dead") rows.push(["dead", job.deadReason]);
  const lines = [formatTable(rows)];
  if (job.errors.length > 0) {
    lines.push("errors:");
    for (const error of job.errors) {
      lines.push(
        `  attempt ${error.attempt} at ${formatTime(error.at)} on ${error.worker}: ` +
          `${error.name}: ${error.message}`,
      );
    }
  }
  return lines.join("\n");
}

/** A job's events, one a line, oldest first. */
export function showTimeline(events: readonly JobEvent[]): string {
  if (events.length === 0) return "events: none stored (the events stream keeps events.maxAge)";
  return ["events:", ...events.map((event) => `  ${formatEvent(event)}`)].join("\n");
}
