/**
 * `naq config show|validate|init`: what configuration naq would run with and where each
 * value came from, whether it is valid, and a starter file.
 *
 * @module
 */
import { Command } from "commander";
import { leafKindAt } from "../config/_walk.ts";
import { formatValue } from "../config/format_value.ts";
import { valueAt } from "../config/layer.ts";
import { redactConfig, resolveConfig, type ResolvedConfig } from "../config/mod.ts";
import { STARTER_CONFIG } from "../config/starter_file.ts";
import { examples, formatTable } from "./_output.ts";

interface ConfigOptions {
  config?: string;
  json?: boolean;
}

/**
 * The `config` command group.
 *
 * @returns a commander command with the subcommands `show`, `validate` and `init`
 */
export function configCommand(): Command {
  const group = new Command("config")
    .description(
      "Show or check the configuration naq resolves from file, environment and defaults",
    );
  group.addHelpText("after", examples("naq config init", "naq config validate", "naq config show"));
  group.command("show")
    .description("Print every setting, its value and where it came from (secrets redacted)")
    .option("--config <file>", "read this YAML file instead of searching for one")
    .option("--json", "print one JSON document: { file, config, sources }")
    .addHelpText("after", examples("naq config show", "naq config show --config ./naq.yaml --json"))
    .action(async (options: ConfigOptions) => {
      const resolved = await resolveConfig({ file: options.config });
      console.log(options.json ? showJson(resolved) : showTable(resolved));
    });
  group.command("validate")
    .description("Check the configuration; exit 1 with every problem listed if it is invalid")
    .option("--config <file>", "read this YAML file instead of searching for one")
    .option("--json", 'print { "valid": true, "file": ... } instead of a sentence')
    .addHelpText(
      "after",
      examples(
        "naq config validate",
        "NAQ_NATS_SERVERS=nats://nats.internal:4222 naq config validate",
      ),
    )
    .action(async (options: ConfigOptions) => {
      // An invalid configuration throws a ConfigError, which main() prints with exit code 1.
      const resolved = await resolveConfig({ file: options.config });
      console.log(
        options.json
          ? JSON.stringify({ valid: true, file: resolved.file ?? null })
          : `Configuration is valid (${resolved.file ?? "defaults and environment only"})`,
      );
    });
  group.command("init")
    .description("Write a starter naq.yaml here: every setting at its default, explained")
    .option("--force", "overwrite an existing naq.yaml")
    .option("--json", 'print { "written": path } instead of a sentence')
    .addHelpText("after", examples("naq config init", "naq config init --force"))
    .action(async (options: { force?: boolean; json?: boolean }) => {
      const path = `${Deno.cwd()}/naq.yaml`;
      try {
        await Deno.writeTextFile(path, STARTER_CONFIG, { createNew: !options.force });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        throw new Error(`${path} exists already; edit it, or pass --force to overwrite it`);
      }
      console.log(
        options.json
          ? JSON.stringify({ written: path })
          : `Wrote ${path}; naq config validate checks it`,
      );
    });
  return group;
}

function showJson(resolved: ResolvedConfig): string {
  return JSON.stringify(
    {
      file: resolved.file ?? null,
      config: redactConfig(resolved.config),
      sources: resolved.sources,
    },
    null,
    2,
  );
}

function showTable(resolved: ResolvedConfig): string {
  const config = redactConfig(resolved.config);
  const rows = Object.entries(resolved.sources).map(([key, source]) => {
    const path = key.split(".");
    return [key, formatValue(leafKindAt(path), valueAt(config, path)), source];
  });
  return formatTable([["KEY", "VALUE", "SOURCE"], ...rows]);
}
