/**
 * `naq worker`: runs a worker for one or more queues with the tasks of the operator's module,
 * until SIGINT or SIGTERM.
 *
 * @module
 */
import { examples } from "./_output.ts";
import { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { consoleLogger, Worker } from "../worker.ts";
import { jsonLogger } from "./_logger.ts";
import { loadTaskModule } from "./_task_module.ts";
import {
  collectQueueNames,
  type CommonOptions,
  connectedServices,
  parseDurationOption,
  parsePort,
  parsePositiveInt,
  usageError,
  withCommonOptions,
} from "./_options.ts";

interface WorkerCommandOptions extends CommonOptions {
  tasks: string;
  concurrency?: number;
  shutdownTimeout?: number;
  scheduler: boolean;
  metricsPort?: number;
  metricsHostname?: string;
}

/**
 * The `worker` command.
 *
 * @returns a commander command: `worker <queues...> --tasks <module>`
 */
export function workerCommand(): Command {
  return withCommonOptions(
    new Command("worker"),
    "log one JSON object per line instead of plain text",
  )
    .description("Run jobs from the queues with the tasks of a module, until Ctrl-C or SIGTERM")
    .argument("<queues...>", "the queues to take jobs from", collectQueueNames)
    .requiredOption("--tasks <module>", "the module exporting the tasks (made with defineTask)")
    .option("--concurrency <n>", "jobs run at once (default: worker.concurrency)", parsePositiveInt)
    .option(
      "--shutdown-timeout <duration>",
      "how long a stop waits for running jobs (default: worker.shutdownTimeout)",
      parseDurationOption,
    )
    .option(
      "--no-scheduler",
      "do not run a scheduler replica beside the jobs (then run `naq scheduler` somewhere)",
    )
    .option("--metrics-port <port>", "serve Prometheus metrics at /metrics on this port", parsePort)
    .option(
      "--metrics-hostname <address>",
      "the address --metrics-port listens on (default: 127.0.0.1, this machine only)",
    )
    .addHelpText(
      "after",
      examples(
        "naq worker emails --tasks ./tasks.ts",
        "naq worker emails images --tasks ./tasks.ts --concurrency 4 --shutdown-timeout 1m",
        "naq worker emails --tasks ./tasks.ts --no-scheduler --json",
        "naq worker emails --tasks ./tasks.ts --metrics-port 9464",
      ),
    )
    .action(async (queues: string[], options: WorkerCommandOptions, command: Command) => {
      if (options.metricsHostname !== undefined && options.metricsPort === undefined) {
        usageError(command, "--metrics-hostname needs --metrics-port, the port to serve on");
      }
      const tasks = await loadTaskModule(options.tasks);
      const config = await loadConfig({ file: options.config });
      const logger = options.json ? jsonLogger : consoleLogger;
      await using services = await connectedServices(config);
      await using worker = new Worker(queues, tasks, {
        services,
        concurrency: options.concurrency,
        shutdownTimeout: options.shutdownTimeout,
        logger,
        // only --no-scheduler overrides the config: commander's default for it is true
        scheduler: options.scheduler === false ? false : undefined,
        metrics: options.metricsPort === undefined
          ? undefined
          : { port: options.metricsPort, hostname: options.metricsHostname },
      });
      const concurrency = options.concurrency ?? config.worker.concurrency;
      logger.info(
        `naq worker ${worker.id}: running ${tasks.map((task) => task.name).join(", ")} ` +
          `on ${queues.join(", ")} (concurrency ${concurrency}); Ctrl-C to stop`,
      );
      await worker.run();
      logger.info(`naq worker ${worker.id}: stopped`);
    });
}
