/**
 * Asking before a command that destroys (`queue purge|delete`, `dead purge`, `dead retry`):
 * a question on a terminal, `--yes` to skip it, `--dry-run` to count without doing, and a
 * refusal when nobody can answer (stdin is not a terminal and `--yes` was not given).
 *
 * @module
 */
import type { Command } from "commander";
import { usageError } from "./_options.ts";

/** The options of a command that asks first. */
export interface ConfirmOptions {
  /** Go ahead without asking. */
  readonly yes?: boolean;
  /** Only count what would be done. */
  readonly dryRun?: boolean;
}

/** Adds `--yes` and `--dry-run` to `command`. */
export function withConfirmOptions(command: Command): Command {
  return command
    .option("-y, --yes", "go ahead without asking (needed when stdin is not a terminal)")
    .option("--dry-run", "only count what it would do, and do nothing");
}

/** Where the question is read from and written to; a terminal's stdin and stderr by default. */
export interface Prompter {
  /** Whether someone can answer. */
  isTerminal(): boolean;
  /** Asks `question` and returns the line answered, or `null` at end of input. */
  ask(question: string): Promise<string | null>;
}

/** Asks on stderr and reads a line from stdin. */
export const terminalPrompter: Prompter = {
  isTerminal: () => Deno.stdin.isTerminal(),
  async ask(question) {
    Deno.stderr.writeSync(new TextEncoder().encode(question));
    const decoder = new TextDecoder();
    const reader = Deno.stdin.readable.getReader();
    let line = "";
    try {
      while (!line.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) return line === "" ? null : line;
        line += decoder.decode(value, { stream: true });
      }
    } finally {
      reader.releaseLock();
    }
    return line.slice(0, line.indexOf("\n"));
  },
};

/**
 * Goes ahead when `--yes` was given or the person at the terminal answers yes; otherwise
 * stops the command: exit 1 when they answered no, exit 2 when nobody could answer.
 *
 * @param what the action in words, such as `cancel 12 jobs of queue emails`
 */
export async function confirm(
  command: Command,
  options: ConfirmOptions,
  what: string,
  prompter: Prompter = terminalPrompter,
): Promise<void> {
  if (options.yes) return;
  const name = commandPath(command);
  if (!prompter.isTerminal()) {
    usageError(
      command,
      `${name} would ${what}, and asks first, but stdin is not a terminal: pass --yes to go ` +
        `ahead (or --dry-run to count only)`,
    );
  }
  const answer = await prompter.ask(`naq: ${what}? [y/N] `);
  if (!/^\s*y(es)?\s*$/i.test(answer ?? "")) {
    throw new Error(`${name}: not confirmed; nothing was done`);
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return `naq ${names.join(" ")}`;
}
