import { Command, CommanderError } from "commander";
import denoJson from "../../deno.json" with { type: "json" };
import { WaitTimedOutError } from "./_wait.ts";
import { configCommand } from "./config_command.ts";
import { dashboardCommand } from "./dashboard_command.ts";
import { deadCommand } from "./dead_command.ts";
import { devCommand } from "./dev_command.ts";
import { enqueueCommand } from "./enqueue_command.ts";
import { eventsCommand } from "./events_command.ts";
import { jobCommand } from "./job_command.ts";
import { jobsCommand } from "./jobs_command.ts";
import { metricsCommand } from "./metrics_command.ts";
import { queueCommand } from "./queue_command.ts";
import { queuesCommand } from "./queues_command.ts";
import { schedulerCommand } from "./scheduler_command.ts";
import { schedulesCommand } from "./schedules_command.ts";
import { workerCommand } from "./worker_command.ts";
import { workersCommand } from "./workers_command.ts";

/**
 * Exit codes: 0 ok, 1 the operation failed, 2 bad usage, 3 a wait (`enqueue --wait`,
 * `job result`) gave up before the job finished.
 */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, WaitTimedOut: 3 } as const;

/** Builds the `naq` program; every command group lives in a file of its own. */
export function buildProgram(): Command {
  const program = new Command("naq")
    .description("A job queue for Deno on NATS JetStream")
    .version(denoJson.version, "-V, --version")
    .option("--verbose", "print stack traces with errors")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .addCommand(workerCommand())
    .addCommand(schedulerCommand())
    .addCommand(workersCommand())
    .addCommand(enqueueCommand())
    .addCommand(jobCommand())
    .addCommand(jobsCommand())
    .addCommand(deadCommand())
    .addCommand(schedulesCommand())
    .addCommand(queuesCommand())
    .addCommand(queueCommand())
    .addCommand(eventsCommand())
    .addCommand(metricsCommand())
    .addCommand(dashboardCommand())
    .addCommand(configCommand())
    .addCommand(devCommand());
  inheritSettings(program);
  return program;
}

/**
 * Unlike `.command()`, `.addCommand()` does not pass settings down; without this a usage
 * error in a subcommand would call `process.exit(1)` instead of reaching {@linkcode main}.
 */
function inheritSettings(parent: Command): void {
  for (const sub of parent.commands) {
    sub.copyInheritedSettings(parent);
    inheritSettings(sub);
  }
}

/**
 * Runs `naq` with `args` and returns the exit code; errors are printed, not thrown.
 *
 * @param args the arguments after the program name
 * @returns 0 on success, 1 when the operation failed, 2 on bad usage, 3 when a wait gave up
 */
export async function main(args: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help asked for exits 0; help shown because a subcommand is missing exits non-zero.
      const helpOrVersion = err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" || err.code === "commander.help";
      return helpOrVersion && err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const verbose = args.includes("--verbose");
    if (verbose && err instanceof Error) {
      console.error(err.stack);
    } else {
      // naq's errors, and bad arguments caught late (TypeError, RangeError), say what to do
      console.error(`naq: ${err instanceof Error ? err.message : String(err)}`);
    }
    return err instanceof WaitTimedOutError ? ExitCode.WaitTimedOut : ExitCode.Failed;
  }
}
