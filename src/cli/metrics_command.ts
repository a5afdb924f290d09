/**
 * `naq metrics`: a standalone Prometheus exporter of a deployment's queues, until SIGINT or
 * SIGTERM. Gauges come from the server's counts; counters from the live event stream.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { MetricsExporter } from "../metrics/metrics_exporter.ts";
import { METRICS_HOSTNAME } from "../metrics/metrics_server.ts";
import { ServiceManager } from "../services/core/service_manager.ts";
import { onStopSignals } from "../stop_signals.ts";
import { consoleLogger } from "../worker/logger.ts";
import { jsonLogger } from "./_logger.ts";
import { collectQueueNames, type CommonOptions, parsePort, withCommonOptions } from "./_options.ts";
import { examples } from "./_output.ts";

interface MetricsCommandOptions extends CommonOptions {
  port: number;
  hostname: string;
  queue?: string[];
}

/** The port of OpenTelemetry's Prometheus exporter, which scrape configs often know. */
const DEFAULT_PORT = 9464;

/**
 * The `metrics` command.
 *
 * @returns a commander command: `metrics [--port <port>] [--hostname <address>] [--queue <q>...]`
 */
export function metricsCommand(): Command {
  return withCommonOptions(
    new Command("metrics"),
    "log one JSON object per line instead of plain text",
  )
    .description(
      "Serve Prometheus metrics of the queues at /metrics until Ctrl-C or SIGTERM: jobs per " +
        "state, and outcomes counted from the live events (workers serve their own with " +
        "`naq worker --metrics-port`)",
    )
    .option("--port <port>", "the port to listen on", parsePort, DEFAULT_PORT)
    .option(
      "--hostname <address>",
      "the address to listen on (0.0.0.0: every interface)",
      METRICS_HOSTNAME,
    )
    .option(
      "--queue <queue>",
      "a queue to show, repeatable (default: every queue, found again at each scrape)",
      collectQueueNames,
    )
    .addHelpText(
      "after",
      examples(
        "naq metrics",
        "naq metrics --port 9464 --queue emails --queue images",
        "naq metrics --hostname 0.0.0.0 --json",
      ),
    )
    .action(async (options: MetricsCommandOptions) => {
      const config = await loadConfig({ file: options.config });
      const logger = options.json ? jsonLogger : consoleLogger;
      await using services = new ServiceManager(config);
      await using exporter = await MetricsExporter.start(services, {
        port: options.port,
        hostname: options.hostname,
        queues: options.queue,
      });
      if (!config.events.enabled) {
        logger.warn("naq metrics: events are disabled (events.enabled), so no job is counted");
      }
      const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
      logger.info(
        `naq metrics: serving http://${exporter.hostname}:${exporter.port}/metrics for ` +
          `${options.queue?.join(", ") ?? "every queue"}; Ctrl-C to stop`,
      );
      await onStopSignals(true, stop, () => stopped);
      logger.info("naq metrics: stopped");
    });
}
