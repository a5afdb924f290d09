/**
 * `naq enqueue`: stores a job for a task by name, now or later, and optionally waits for its
 * result; or, with `--file`, every job of an NDJSON file.
 *
 * @module
 */
import { Command } from "commander";
import { durationProblem } from "../core/duration.ts";
import type { EnqueueItem, EnqueueOptions, JobHandle, Queue } from "../queue.ts";
import { examples, printJson } from "./_output.ts";
import { showProgress } from "./_progress.ts";
import {
  type CommonOptions,
  parseDurationOption,
  parseInstantOption,
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
  delay?: number;
  at?: number;
  file?: string;
  wait?: boolean;
  waitTimeout?: number;
}

// jobs of a file enqueued per batch: one pipelined enqueueMany each
const FILE_BATCH = 1_000;

/**
 * The `enqueue` command.
 *
 * @returns a commander command: `enqueue <queue> [task] [json]`
 */
export function enqueueCommand(): Command {
  return withCommonOptions(new Command("enqueue"), "print the job record as JSON")
    .description("Enqueue a job for a task, with a JSON payload; or every job of an NDJSON file")
    .argument("<queue>", "the queue", parseQueueName)
    .argument("[task]", "the task's name, as the worker registered it")
    .argument("[json]", "the payload, as JSON (default: null)")
    .option("--attempts <n>", "attempts in all (default: the queue's)", parsePositiveInt)
    .option("--job-id <id>", "the job's id; enqueueing an id again runs it once", parseJobId)
    .option("--timeout <duration>", "fail an attempt running longer than this", parseDurationOption)
    .option("--delay <duration>", "run it no earlier than this long from now", parseDurationOption)
    .option("--at <time>", "run it no earlier than this ISO 8601 time", parseInstantOption)
    .option(
      "--file <path>",
      'enqueue every line of an NDJSON file: {"task", "payload", "jobId"?, "delay"?, ' +
        '"runAt"?, "attempts"?, "timeout"?}, with --delay, --at, --attempts and --timeout ' +
        'as defaults; "-" reads stdin',
    )
    .option("--wait", "wait for the job to finish and print its result")
    .option(
      "--wait-timeout <duration>",
      "with --wait, give up after this long",
      parseDurationOption,
    )
    .addHelpText(
      "after",
      examples(
        'naq enqueue emails send \'{"to":"ada@example.com"}\'',
        'naq enqueue emails send \'{"to":"ada@example.com"}\' --delay 5m --job-id welcome-ada',
        "naq enqueue reports build --wait --wait-timeout 1m",
        "naq enqueue emails --file jobs.ndjson --json",
      ),
    )
    .action(async (
      queueName: string,
      task: string | undefined,
      json: string | undefined,
      options: EnqueueCommandOptions,
      command: Command,
    ) => {
      if (options.waitTimeout !== undefined && !options.wait) {
        usageError(command, "--wait-timeout needs --wait");
      }
      if (options.delay !== undefined && options.at !== undefined) {
        usageError(command, "--delay and --at both say when to run: give one of them");
      }
      if (options.file !== undefined) {
        if (task !== undefined) {
          usageError(command, "--file gives each job's task: leave out <task> and [json]");
        }
        if (options.wait || options.jobId) {
          usageError(command, "--wait and --job-id are for one job, not for --file");
        }
        // the options given on the command line are each line's defaults
        const defaults: EnqueueOptions = {
          attempts: options.attempts,
          timeout: options.timeout,
          delay: options.delay,
          runAt: options.at,
        };
        const file = options.file;
        const { items, problems } = parseJobFile(await readFile(command, file), defaults);
        const handles = await withQueue(queueName, options, async (queue) => {
          for (const { line, item } of items) {
            if (problems.length > MAX_LINES_NAMED) break; // enough to say there are more
            try {
              await queue.check(item.task, item.payload, item.options);
            } catch (err) {
              if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
              problems.push({ line, problem: `: ${err.message}` });
            }
          }
          if (problems.length > 0) usageError(command, badLines(file, problems));
          const enqueued = await enqueueAll(queue, items.map(({ item }) => item));
          await noteIfNoWorker(queue);
          return enqueued;
        });
        // a line whose id is known already stored nothing: it is a duplicate, not enqueued
        const duplicates = handles.filter((handle) => handle.duplicate).length;
        const count = handles.length - duplicates;
        if (options.json) {
          printJson({
            queue: queueName,
            enqueued: count,
            ids: handles.map((handle) => handle.id),
            duplicates,
          });
        } else {
          console.log(
            `Enqueued ${count} job${count === 1 ? "" : "s"} in queue ${queueName}` +
              (duplicates === 0 ? "" : `; ${duplicates} already known, left as they were`),
          );
        }
        return;
      }
      if (task === undefined) usageError(command, "give a <task>, or --file with jobs");
      const payload = parsePayload(command, json);
      await withQueue(queueName, options, async (queue) => {
        const handle = await queue.enqueue(task, payload, {
          jobId: options.jobId,
          attempts: options.attempts,
          timeout: options.timeout,
          delay: options.delay,
          runAt: options.at,
        });
        if (options.wait) {
          // stdout is the result's: the id goes to stderr, for the person waiting
          console.error(`Enqueued job ${handle.id} (task ${task}) in queue ${queueName}; waiting`);
          await printResult(queue, handle.id, {
            timeoutMs: options.waitTimeout,
            json: options.json,
          });
          return;
        }
        await noteIfNoWorker(queue);
        if (options.json) {
          printJson(handle.job);
        } else {
          const { job } = handle;
          const when = job.state === "delayed"
            ? `, delayed until ${new Date(job.runAt).toISOString()}`
            : "";
          // a waiting or delayed job can be a duplicate too: the id was known, nothing stored
          const known = handle.duplicate ? ` (already known: ${job.state})` : "";
          console.log(
            `Enqueued job ${handle.id} (task ${task}) in queue ${queueName}${when}${known}`,
          );
        }
      });
    });
}

/** Says on stderr when no worker ever took a job of the queue, nor waits for one now. */
async function noteIfNoWorker(queue: Queue): Promise<void> {
  if (await queue.hasWorkers()) return;
  console.error(
    `naq: note: no worker has taken jobs from queue ${queue.name} yet, nor waits for them now; ` +
      `the jobs wait until one runs: naq worker ${queue.name} --tasks <module>`,
  );
}

async function enqueueAll(queue: Queue, items: EnqueueItem[]): Promise<JobHandle[]> {
  const progress = showProgress("enqueued", items.length);
  const handles: JobHandle[] = [];
  for (let start = 0; start < items.length; start += FILE_BATCH) {
    handles.push(...await queue.enqueueMany(items.slice(start, start + FILE_BATCH)));
    progress.update(Math.min(items.length, start + FILE_BATCH));
  }
  progress.done();
  return handles;
}

async function readFile(command: Command, path: string): Promise<string> {
  try {
    if (path === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(path);
  } catch (err) {
    usageError(command, `Cannot read ${path}: ${(err as Error).message}`);
  }
}

const LINE_FIELDS = new Set(["task", "payload", "jobId", "delay", "runAt", "attempts", "timeout"]);

// a file with many bad lines names this many, and says how many more there are
const MAX_LINES_NAMED = 20;

/** A bad line of a job file: `problem` follows "line N", as in `line 3 is not JSON`. */
interface BadLine {
  readonly line: number;
  readonly problem: string;
}

/**
 * Reads every job of the file before any is enqueued, so a bad line enqueues nothing; every
 * bad line is kept, for the error to name up to {@linkcode MAX_LINES_NAMED} of them.
 */
function parseJobFile(
  text: string,
  defaults: EnqueueOptions,
): { items: { line: number; item: EnqueueItem }[]; problems: BadLine[] } {
  const items: { line: number; item: EnqueueItem }[] = [];
  const problems: BadLine[] = [];
  text.split("\n").forEach((text, index) => {
    if (text.trim() === "") return;
    const line = index + 1;
    const problem = lineProblem(text);
    if (typeof problem === "string") return problems.push({ line, problem });
    const { task, payload, ...own } = problem;
    // a line's own delay or runAt replaces the other one given on the command line
    const timing = "delay" in own || "runAt" in own ? { delay: undefined, runAt: undefined } : {};
    const options = { ...defaults, ...timing, ...own } as EnqueueOptions;
    items.push({ line, item: { task: task as string, payload: payload ?? null, options } });
  });
  return { items, problems };
}

/** The job on one line, or what is wrong with it (to follow "line N"). */
function lineProblem(text: string): Record<string, unknown> | string {
  let job: Record<string, unknown>;
  try {
    job = JSON.parse(text);
  } catch (err) {
    return ` is not JSON (${(err as Error).message})`;
  }
  if (typeof job !== "object" || job === null || typeof job.task !== "string" || !job.task) {
    return ` has no "task" name`;
  }
  const unknown = Object.keys(job).filter((field) => !LINE_FIELDS.has(field));
  if (unknown.length > 0) {
    return ` has unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; ` +
      `use ${[...LINE_FIELDS].join(", ")}`;
  }
  for (const field of ["delay", "timeout"]) {
    // JSON numbers are milliseconds in naq's API; written in a file, 5 means 5s more often
    if (typeof job[field] === "number") {
      return `: "${field}": ${job[field]} is not a duration: ${durationProblem(job[field])}`;
    }
  }
  return job;
}

/** The error for a file with bad lines: one line for one, a list of up to 20 for more. */
function badLines(file: string, problems: readonly BadLine[]): string {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  if (sorted.length === 1) {
    return `line ${sorted[0].line}${sorted[0].problem}; nothing was enqueued`;
  }
  const named = sorted.slice(0, MAX_LINES_NAMED)
    .map(({ line, problem }) => `\n  line ${line}${problem}`);
  const more = sorted.length > MAX_LINES_NAMED ? "\n  and more" : "";
  const name = file === "-" ? "stdin" : file;
  return `${sorted.length > MAX_LINES_NAMED ? "more than 20" : sorted.length} lines of ${name} ` +
    `are bad; nothing was enqueued:${named.join("")}${more}`;
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
