import assert from "node:assert/strict";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.ts";

/** Every command under `command`, itself included, with its path such as `naq dead list`. */
function walk(command: Command, path: string[] = []): [string, Command][] {
  const here = [...path, command.name()];
  return [[here.join(" "), command], ...command.commands.flatMap((sub) => walk(sub, here))];
}

/** What `--help` prints for `command`, its Examples section included. */
function help(command: Command): string {
  let out = "";
  command.configureOutput({ writeOut: (text) => out += text });
  command.outputHelp();
  return out;
}

Deno.test("every command's help has an Examples section, each example naming the command", () => {
  const program = buildProgram();
  const commands = walk(program).filter(([path]) => path !== "naq" && !path.endsWith(" help"));
  assert.ok(commands.length > 25, `found ${commands.length} commands`);
  for (const [path, command] of commands) {
    const text = help(command);
    const section = text.split("\nExamples:\n")[1];
    assert.ok(section, `${path} --help has no Examples section:\n${text}`);
    const lines = section.trimEnd().split("\n");
    const name = path.replace(/^naq /, "");
    for (const line of lines) {
      assert.match(line, /^ {2}\$ /, `${path}: ${line}`);
      // the group's examples may show any of its subcommands; the subcommand's show itself
      const top = name.split(" ")[0];
      assert.ok(line.includes(command.commands.length > 0 ? top : name), `${path}: ${line}`);
    }
  }
});

Deno.test("the help says what a command does as the code does it", () => {
  const program = buildProgram();
  const about = (name: string) => program.commands.find((c) => c.name() === name)!.description();
  // the server fires delayed jobs and retries (message schedules), not the scheduler
  assert.doesNotMatch(about("scheduler"), /enqueues delayed/);
  assert.match(about("scheduler"), /delayed jobs and retries need none/);
  // queues counts from the consumers (queue.stats()), reading no record
  assert.doesNotMatch(about("queues"), /scan/);
});
