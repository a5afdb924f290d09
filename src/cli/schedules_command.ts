/**
 * `naq schedules list|show|add|pause|resume|remove`: recurring jobs from a terminal.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import { Command, Option } from "commander";
import { checkTiming, type ScheduleRecord, type ScheduleTiming } from "../core/schedule.ts";
import { formatDuration } from "../core/duration.ts";
import { ErrorCode, NaqError } from "../errors.ts";
import { ScheduleService } from "../services/business/schedule_service.ts";
import { examples, formatAge, formatTable, formatTime, formatValue, printJson } from "./_output.ts";
import {
  type CommonOptions,
  openServices,
  parseDurationOption,
  parseInstantOption,
  parsePositiveInt,
  parseQueueName,
  usageError,
  withCommonOptions,
  withQueue,
} from "./_options.ts";

interface AddOptions extends CommonOptions {
  cron?: string;
  tz?: string;
  every?: number;
  repeat?: number;
  startAt?: number;
  endAt?: number;
  missed?: "once" | "skip";
  attempts?: number;
  timeout?: number;
}

/**
 * The `schedules` command group.
 *
 * @returns a commander command with `list`, `show`, `add`, `pause`, `resume` and `remove`
 */
export function schedulesCommand(): Command {
  const group = new Command("schedules").description(
    "List, add, pause, resume or remove schedules",
  );
  group.addHelpText(
    "after",
    examples(
      'naq schedules add reports nightly build --cron "0 2 * * *" --tz Europe/Paris',
      "naq schedules list",
      "naq schedules pause reports nightly",
    ),
  );
  withCommonOptions(group.command("list"), "print a JSON array of schedules")
    .description("List the schedules of a queue, or of every queue")
    .argument("[queue]", "only this queue's", parseQueueName)
    .addHelpText("after", examples("naq schedules list", "naq schedules list reports --json"))
    .action(async (queue: string | undefined, options: CommonOptions) => {
      await using services = await openServices(options);
      const schedules = await (await services.get(ScheduleService)).list(queue);
      if (options.json) return printJson(schedules);
      if (schedules.length === 0) {
        return console.log(`No schedules${queue ? ` in queue ${queue}` : ""}`);
      }
      const now = systemClock.now(); // ages are on the operator's clock
      console.log(formatTable([
        ["QUEUE", "ID", "TASK", "TIMING", "STATE", "NEXT", "FIRINGS"],
        ...schedules.map((s) => [
          s.queue,
          s.id,
          s.task,
          describeTiming(s.timing),
          stateOf(s),
          s.paused ? "-" : formatAge(s.nextRunAt, now),
          String(s.firings),
        ]),
      ]));
    });
  withCommonOptions(group.command("show"), "print the schedule as JSON")
    .description("Print one schedule")
    .argument("<queue>", "the queue", parseQueueName)
    .argument("<id>", "the schedule's id")
    .addHelpText("after", examples("naq schedules show reports nightly"))
    .action(async (queue: string, id: string, options: CommonOptions) => {
      const schedule = await withQueue(queue, options, (handle) => handle.getSchedule(id));
      if (!schedule) throw notFound(queue, id);
      if (options.json) return printJson(schedule);
      console.log(formatTable([
        ["FIELD", "VALUE"],
        ["id", schedule.id],
        ["queue", schedule.queue],
        ["task", schedule.task],
        ["payload", formatValue(schedule.payload)],
        ["timing", describeTiming(schedule.timing)],
        ["state", stateOf(schedule)],
        ["next run", formatTime(schedule.nextRunAt)],
        ["firings", String(schedule.firings)],
        ["last job", schedule.lastJobId ?? "-"],
        ["repeat", schedule.repeat === undefined ? "-" : String(schedule.repeat)],
        ["start", formatTime(schedule.startAt)],
        ["end", formatTime(schedule.endAt)],
        ["missed", schedule.missed],
        ["version", String(schedule.version)],
      ]));
    });
  withCommonOptions(group.command("add"), "print the schedule as JSON")
    .description("Create a schedule, or replace the definition of the one with this id")
    .argument("<queue>", "the queue its jobs go to", parseQueueName)
    .argument("<id>", "the schedule's id")
    .argument("<task>", "the task its jobs run")
    .argument("[json]", "the payload of every job, as JSON (default: null)")
    .option("--cron <pattern>", 'a cron pattern, such as "0 9 * * 1-5" (seconds optional)')
    .option("--tz <zone>", "the cron pattern's time zone, such as Europe/Paris (default: UTC)")
    .option("--every <duration>", "fire at this interval instead, such as 5m", parseDurationOption)
    .option("--repeat <n>", "fire at most this many times", parsePositiveInt)
    .option("--start-at <time>", "fire at no time before this (ISO 8601)", parseInstantOption)
    .option("--end-at <time>", "fire at no time after this (ISO 8601)", parseInstantOption)
    .addOption(
      new Option("--missed <policy>", "firings missed while no scheduler ran: one job, or none")
        .choices(["once", "skip"]),
    )
    .option("--attempts <n>", "attempts of each job", parsePositiveInt)
    .option("--timeout <duration>", "timeout of each job's attempts", parseDurationOption)
    .addHelpText(
      "after",
      examples(
        'naq schedules add reports nightly build --cron "0 2 * * 1-5" --tz Europe/Paris',
        'naq schedules add alerts ping check \'{"url":"https://example.com"}\' --every 5m',
        "naq schedules add reports once build --every 1h --repeat 3 --missed skip",
      ),
    )
    .action(async (
      queue: string,
      id: string,
      task: string,
      json: string | undefined,
      options: AddOptions,
      command: Command,
    ) => {
      if ((options.cron === undefined) === (options.every === undefined)) {
        usageError(command, "give either --cron <pattern> or --every <duration>");
      }
      if (options.tz !== undefined && options.cron === undefined) {
        usageError(command, "--tz is the time zone of --cron");
      }
      let payload: unknown = null;
      try {
        if (json !== undefined) payload = JSON.parse(json);
      } catch (err) {
        usageError(command, `The payload is not valid JSON (${(err as Error).message})`);
      }
      const timing = options.cron !== undefined
        ? { cron: options.cron, tz: options.tz }
        : { every: options.every! };
      if (options.cron !== undefined) {
        try {
          checkTiming({ cron: options.cron, tz: options.tz });
        } catch (err) {
          if (!(err instanceof RangeError)) throw err;
          usageError(command, err.message); // a bad --cron or --tz: exit 2, on one line
        }
      }
      const schedule = await withQueue(
        queue,
        options,
        (handle) =>
          handle.schedule(id, task, payload, timing, {
            repeat: options.repeat,
            startAt: options.startAt,
            endAt: options.endAt,
            missed: options.missed,
            attempts: options.attempts,
            timeout: options.timeout,
          }),
      );
      if (options.json) return printJson(schedule);
      console.log(
        `Schedule ${id} in queue ${queue} fires ${task} ${describeTiming(schedule.timing)}; ` +
          `next at ${formatTime(schedule.nextRunAt)}`,
      );
    });
  const edits = [
    ["pause", "Pause a schedule: it fires nothing until resumed", "paused"],
    ["resume", "Resume a paused schedule from now", "resumed"],
  ] as const;
  for (const [name, description, done] of edits) {
    withCommonOptions(group.command(name), "print the schedule as JSON")
      .description(description)
      .argument("<queue>", "the queue", parseQueueName)
      .argument("<id>", "the schedule's id")
      .addHelpText("after", examples(`naq schedules ${name} reports nightly`))
      .action(async (queue: string, id: string, options: CommonOptions) => {
        const schedule = await withQueue(
          queue,
          options,
          (handle) => name === "pause" ? handle.pauseSchedule(id) : handle.resumeSchedule(id),
        );
        if (options.json) return printJson(schedule);
        const next = schedule.paused ? "" : `; next at ${formatTime(schedule.nextRunAt)}`;
        console.log(`Schedule ${id} in queue ${queue} is ${done}${next}`);
      });
  }
  withCommonOptions(group.command("remove"), 'print { "removed": true }')
    .description("Remove a schedule; the jobs it fired stay")
    .argument("<queue>", "the queue", parseQueueName)
    .argument("<id>", "the schedule's id")
    .addHelpText("after", examples("naq schedules remove reports nightly"))
    .action(async (queue: string, id: string, options: CommonOptions) => {
      const removed = await withQueue(queue, options, (handle) => handle.removeSchedule(id));
      if (!removed) throw notFound(queue, id);
      if (options.json) return printJson({ removed });
      console.log(`Removed schedule ${id} from queue ${queue}`);
    });
  return group;
}

function describeTiming(timing: ScheduleTiming): string {
  if ("every" in timing) return `every ${formatDuration(timing.every)}`;
  return `cron "${timing.cron}" ${timing.tz ?? "UTC"}`;
}

function stateOf(schedule: ScheduleRecord): string {
  if (schedule.paused) return "paused";
  return schedule.nextRunAt === null ? "done" : "active";
}

function notFound(queue: string, id: string): NaqError {
  return new NaqError(
    ErrorCode.NotFound,
    `Schedule ${id} is not in queue ${queue}; naq schedules list ${queue} shows its schedules`,
  );
}
