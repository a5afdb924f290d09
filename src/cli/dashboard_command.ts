/**
 * `naq dashboard`: serves the web dashboard until SIGINT or SIGTERM.
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../config/mod.ts";
import { DEFAULT_DASHBOARD_PORT, serveDashboard } from "../dashboard/mod.ts";
import { onStopSignals } from "../stop_signals.ts";
import { examples } from "./_output.ts";

/** The options of `naq dashboard`. */
interface DashboardCommandOptions {
  readonly config?: string;
  readonly host: string;
  readonly port: number;
  readonly token?: string;
  readonly readOnly?: boolean;
}

/**
 * The `dashboard` command.
 *
 * @returns a commander command: `dashboard`
 */
export function dashboardCommand(): Command {
  return new Command("dashboard")
    .description(
      "Serve the web dashboard: queues, jobs, dead letters, schedules and workers, live",
    )
    .option(
      "--host <host>",
      "the address to listen on; beyond localhost it needs a token " +
        "or --read-only",
      "127.0.0.1",
    )
    .option(
      "--port <port>",
      "the port to listen on; 0 for any free one",
      parsePort,
      DEFAULT_DASHBOARD_PORT,
    )
    .option(
      "--token <token>",
      "the secret every action needs (else NAQ_DASHBOARD_TOKEN or " +
        "dashboard.token; the environment keeps it out of the process list)",
    )
    .option("--read-only", "refuse every action: look, never touch")
    .option("--config <file>", "read this YAML file instead of searching for one")
    .addHelpText(
      "after",
      examples(
        "naq dashboard",
        "NAQ_DASHBOARD_TOKEN=$(openssl rand -hex 16) naq dashboard --host 0.0.0.0",
        "naq dashboard --host 0.0.0.0 --read-only --port 9000",
      ),
    )
    .action(async (options: DashboardCommandOptions) => {
      const config = await loadConfig({ file: options.config });
      const served = await serveDashboard({
        config,
        host: options.host,
        port: options.port,
        token: options.token,
        readOnly: options.readOnly,
      });
      const token = options.token ?? config.dashboard.token;
      const guard = options.readOnly
        ? "read-only"
        : token
        ? "actions need the token"
        : "actions from localhost only";
      console.log(`naq dashboard at ${served.url} (${guard}); Ctrl-C to stop`);
      await onStopSignals(true, () => void served.close(), () => served.finished);
      await served.close();
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new InvalidArgumentError(`Expected a port from 0 to 65535, got "${value}".`);
  }
  return port;
}
