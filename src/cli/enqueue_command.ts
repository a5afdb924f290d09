/**
 * `naq enqueue`: stores a job for a task by name, and optionally waits for its result.
 *
 * @module
 */
import { Command } from "commander";
import { printJson } from "./_output.ts";
import {
  type CommonOptions,
  parseDurationOption,
  parseJobId,
  parsePositiveInt,
  parseQueueName,
  usageError,
  withCommonOptions,
  withQueue,
} from "./_options.ts";
import { printResult } from "./_wait.ts";

interface EnqueueCommandOptions extends CommonOptions {
  attempts?: number;
  jobId?: string;
  timeout?: number;
  wait?: boolean;
  waitTimeout?: number;
}

/**
 * The `enqueue` command.
 *
 * @returns a commander command: `enqueue <queue> <task> [json]`
 */
export function enqueueCommand(): Command {
  return withCommonOptions(new Command("enqueue"), "print the job record as JSON")
    .description("Enqueue a job for a task, with a JSON payload")
    .argument("<queue>", "the queue", parseQueueName)
    .argument("<task>", "the task's name, as the worker registered it")
    .argument("[json]", "the payload, as JSON (default: null)")
    .option("--attempts <n>", "attempts in all (default: the queue's)", parsePositiveInt)
    .option("--job-id <id>", "the job's id; enqueueing an id again runs it once", parseJobId)
    .option("--timeout <duration>", "fail an attempt running longer than this", parseDurationOption)
    .option("--wait", "wait for the job to finish and print its result")
    .option(
      "--wait-timeout <duration>",
      "with --wait, give up after this long",
      parseDurationOption,
    )
    .action(async (
      queueName: string,
      task: string,
      json: string | undefined,
      options: EnqueueCommandOptions,
      command: Command,
    ) => {
      const payload = parsePayload(command, json);
      if (options.waitTimeout !== undefined && !options.wait) {
        usageError(command, "--wait-timeout needs --wait");
      }
      await withQueue(queueName, options, async (queue) => {
        const handle = await queue.enqueue(task, payload, {
          jobId: options.jobId,
          attempts: options.attempts,
          timeout: options.timeout,
        });
        if (options.wait) {
          await printResult(queue, handle.id, {
            timeoutMs: options.waitTimeout,
            json: options.json,
          });
        } else if (options.json) {
          printJson(handle.job);
        } else {
          const state = handle.job.state;
          const known = state === "waiting" ? "" : ` (already known: ${state})`;
          console.log(`Enqueued job ${handle.id} (task ${task}) in queue ${queueName}${known}`);
        }
      });
    });
}

function parsePayload(command: Command, json: string | undefined): unknown {
  if (json === undefined) return null;
  try {
    return JSON.parse(json);
  } catch (err) {
    usageError(
      command,
      `The payload is not valid JSON (${(err as Error).message}); ` +
        `quote it for the shell, such as '{"to":"ada@example.com"}'`,
    );
  }
}
