/**
 * `naq scheduler`: runs a scheduler replica until SIGINT or SIGTERM.
 *
 * @module
 */
import { examples } from "./_output.ts";
import { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { Scheduler } from "../scheduler.ts";
import { consoleLogger } from "../worker.ts";
import { jsonLogger } from "./_logger.ts";
import { type CommonOptions, connectedServices, withCommonOptions } from "./_options.ts";

/**
 * The `scheduler` command.
 *
 * @returns a commander command: `scheduler`
 */
export function schedulerCommand(): Command {
  return withCommonOptions(
    new Command("scheduler"),
    "log one JSON object per line instead of plain text",
  )
    .description(
      "Run a scheduler replica until Ctrl-C or SIGTERM: it fires cron and every schedules " +
        "while it leads (run several; one leads); delayed jobs and retries need none",
    )
    .addHelpText("after", examples("naq scheduler", "naq scheduler --json"))
    .action(async (options: CommonOptions) => {
      const config = await loadConfig({ file: options.config });
      const logger = options.json ? jsonLogger : consoleLogger;
      await using services = await connectedServices(config);
      await using scheduler = new Scheduler({ services, logger });
      logger.info(`naq scheduler ${scheduler.id}: running; Ctrl-C to stop`);
      await scheduler.run();
      logger.info(`naq scheduler ${scheduler.id}: stopped`);
    });
}
