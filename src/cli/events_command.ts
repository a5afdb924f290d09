/**
 * `naq events tail <queue>`: a queue's events as they happen, until Ctrl-C; with `--since`, the
 * stored ones from then on first.
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { JOB_EVENT_TYPES, type JobEvent, type JobEventType } from "../core/job_event.ts";
import { EventService } from "../services/mod.ts";
import { onStopSignals } from "../stop_signals.ts";
import { examples, formatTime, formatValue, printJson } from "./_output.ts";
import {
  type CommonOptions,
  openServices,
  parseJobId,
  parseQueueName,
  parseSinceOption,
  withCommonOptions,
} from "./_options.ts";

interface TailOptions extends CommonOptions {
  type?: JobEventType[];
  job?: string;
  since?: number;
}

/**
 * The `events` command group.
 *
 * @returns a commander command with the subcommand `tail`
 */
export function eventsCommand(): Command {
  const group = new Command("events").description("Follow what happens to a queue's jobs");
  group.addHelpText(
    "after",
    examples("naq events tail emails --type failed,dead", "naq events tail emails --since 1h"),
  );
  withCommonOptions(group.command("tail"), "print one JSON event per line (NDJSON)")
    .description(
      "Print a queue's events as they happen, until Ctrl-C; with --since, the stored ones first",
    )
    .argument("<queue>", "the queue", parseQueueName)
    .option(
      "--type <type>",
      `only events of this type, repeatable or comma-separated: ${JOB_EVENT_TYPES.join(", ")}`,
      collectTypes,
    )
    .option("--job <id>", "only this job's events", parseJobId)
    .option(
      "--since <when>",
      "first the stored events from then on: a duration ago (1h, 30m) or an ISO 8601 time",
      parseSinceOption,
    )
    .addHelpText(
      "after",
      examples(
        "naq events tail emails",
        "naq events tail emails --type failed,dead",
        "naq events tail emails --since 1h",
        "naq events tail emails --since 2026-12-01T09:00:00Z --type dead --json",
        "naq events tail emails --job welcome-42 --json",
      ),
    )
    .action(async (queue: string, options: TailOptions) => {
      await using services = await openServices(options);
      if (!services.config.events.enabled) {
        throw new Error(
          "Events are disabled (events.enabled: false); there is nothing to tail" +
            (options.since === undefined ? "" : ", and no history to replay"),
        );
      }
      const stop = new AbortController();
      await onStopSignals(true, () => stop.abort(), async () => {
        const events = await services.get(EventService);
        const tail = events.subscribe({
          queue,
          types: options.type,
          jobId: options.job,
          since: options.since,
          signal: stop.signal,
        });
        // live, the server has the subscription then: nothing from now on is missed (a replay
        // reads the stream from --since on, whenever it starts)
        await events.flush();
        const from = options.since === undefined ? "" : ` from ${formatTime(options.since)}`;
        console.error(`Following the events of queue ${queue}${from}; Ctrl-C to stop`);
        for await (const event of tail) {
          if (options.json) printJson(event);
          else console.log(formatEvent(event));
        }
      });
    });
  return group;
}

function collectTypes(value: string, previous: JobEventType[] = []): JobEventType[] {
  const types = value.split(",").map((type) => type.trim());
  const unknown = types.find((type) => !JOB_EVENT_TYPES.includes(type as JobEventType));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(
      `Unknown event type "${unknown}"; use ${JOB_EVENT_TYPES.join(", ")}.`,
    );
  }
  return [...previous, ...types as JobEventType[]];
}

/** One event on one line: time, type, task, job, attempt and its data. */
export function formatEvent(event: JobEvent): string {
  const data = event.data === undefined ? "" : `  ${formatValue(event.data, 200)}`;
  return `${formatTime(event.at)}  ${event.type.padEnd(9)}  ${event.task}  ${event.jobId}  ` +
    `attempt ${event.attempt}${data}`;
}
