/**
 * `naq dev`: everything for local development in one command. When no server answers at the
 * configured URL, it starts nats-server there (JetStream, data under `.naq/`); then a worker,
 * with its scheduler, for the given task module. Ctrl-C stops them all.
 *
 * @module
 */
import { examples } from "./_output.ts";
import { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { type NatsServer, startNatsServer } from "../dev/nats_server.ts";
import { consoleLogger, Worker } from "../worker.ts";
import { jsonLogger } from "./_logger.ts";
import { loadTaskModule } from "./_task_module.ts";
import {
  collectQueueNames,
  type CommonOptions,
  connectedServices,
  parsePositiveInt,
  withCommonOptions,
} from "./_options.ts";

interface DevCommandOptions extends CommonOptions {
  tasks: string;
  concurrency?: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The `dev` command.
 *
 * @returns a commander command: `dev <queues...> --tasks <module>`
 */
export function devCommand(): Command {
  return withCommonOptions(new Command("dev"), "log one JSON object per line")
    .description(
      "Run a local nats-server (unless one answers at nats.servers), a worker and a scheduler " +
        "for the tasks of a module; Ctrl-C stops everything",
    )
    .argument("<queues...>", "the queues to take jobs from", collectQueueNames)
    .requiredOption("--tasks <module>", "the module exporting the tasks (made with defineTask)")
    .option("--concurrency <n>", "jobs run at once (default: worker.concurrency)", parsePositiveInt)
    .addHelpText(
      "after",
      examples(
        "deno task dev emails --tasks ./tasks.ts",
        "naq dev emails --tasks ./tasks.ts --concurrency 2",
      ),
    )
    .action(async (queues: string[], options: DevCommandOptions) => {
      const tasks = await loadTaskModule(options.tasks);
      const config = await loadConfig({ file: options.config });
      const logger = options.json ? jsonLogger : consoleLogger;
      const url = new URL(config.nats.servers[0]);
      let server: NatsServer | undefined;
      if (!await answers(url)) {
        if (!LOOPBACK.has(url.hostname)) {
          throw new Error(
            `No server answers at ${url.href}, and naq dev starts one only on this machine; ` +
              `set nats.servers (NAQ_NATS_SERVERS) to nats://127.0.0.1:4222 for that`,
          );
        }
        server = await startNatsServer({
          port: Number(url.port || 4222),
          workDir: `${Deno.cwd()}/.naq`,
          // Ctrl-C must not stop the server before the worker has stored its jobs' outcomes
          detached: true,
        });
        logger.info(`naq dev: started nats-server at ${server.url} (data and log in .naq/)`);
      }
      try {
        await using services = await connectedServices(config);
        await using worker = new Worker(queues, tasks, {
          services,
          concurrency: options.concurrency,
          logger,
          scheduler: true,
        });
        logger.info(
          `naq dev: worker and scheduler ${worker.id} running ` +
            `${tasks.map((task) => task.name).join(", ")} on ${queues.join(", ")}; ` +
            `Ctrl-C stops everything`,
        );
        await worker.run();
      } finally {
        await server?.kill("SIGTERM");
        await server?.[Symbol.asyncDispose]();
        logger.info("naq dev: stopped");
      }
    });
}

/** Whether anything accepts connections at the URL's host and port. */
async function answers(url: URL): Promise<boolean> {
  try {
    const connection = await Deno.connect({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 4222),
    });
    connection.close();
    return true;
  } catch {
    return false;
  }
}
