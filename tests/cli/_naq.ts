/**
 * Running the `naq` CLI as a subprocess against a test server: to completion with
 * {@linkcode runNaq}, or in the background with {@linkcode spawnNaq} for `worker` and
 * `events tail`.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { findNatsServerBinary } from "../../src/dev/nats_server_binary.ts";
import type { ServiceManager } from "../../src/services/core/service_manager.ts";
import { Worker } from "../../src/worker.ts";
import { silent } from "../queue/_setup.ts";
import { add, fail } from "./fixtures/tasks.ts";

const CLI = fromFileUrl(new URL("../../cli.ts", import.meta.url));
const DENO_JSON = fromFileUrl(new URL("../../deno.json", import.meta.url));

/** The directory of the fixture task modules. */
export const FIXTURES = fromFileUrl(new URL("./fixtures/", import.meta.url));

/** What a finished `naq` run printed, and its exit code. */
export interface NaqOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cached: Promise<{ denoDir: string }> | undefined;

/**
 * Caches the CLI's dependencies once, so that every `naq` child can run `--cached-only`: a
 * cold cache then fails here, loudly, and not by a download line on some child's stderr.
 * The fixture tasks are cached too: `naq worker --tasks` imports them at run time.
 */
function prepare(): Promise<{ denoDir: string }> {
  cached ??= (async () => {
    const caching = await new Deno.Command(Deno.execPath(), {
      args: ["cache", "--config", DENO_JSON, CLI, `${FIXTURES}tasks.ts`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!caching.success) {
      throw new Error(`deno cache cli.ts failed:\n${new TextDecoder().decode(caching.stderr)}`);
    }
    const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
    return {
      denoDir: JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string,
    };
  })();
  return cached;
}

/** How to run one `naq` child, beyond its arguments. */
export interface NaqOptions {
  /** Its working directory; {@linkcode FIXTURES} when omitted. */
  readonly cwd?: string;
  /** Variables added to (or replacing) those of its environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Its `deno run` permission flags; `-A` when omitted. */
  readonly permissions?: readonly string[];
  /**
   * Run it on a pseudo-terminal made by util-linux `script` (see {@linkcode hasScript}), as a
   * person at a terminal would, where Deno may prompt; its stderr then lands in its stdout.
   */
  readonly terminal?: boolean;
}

/**
 * The only environment `naq` runs with, so that the machine's `NAQ_*` cannot leak in. With a
 * `server`, `NAQ_NATS_SERVERS` points at it; with `null`, no `NAQ_*` variable is set.
 */
async function naqEnv(server: string | null): Promise<Record<string, string>> {
  const { denoDir } = await prepare();
  return {
    PATH: Deno.env.get("PATH") ?? "",
    DENO_DIR: denoDir,
    HOME: "/nonexistent",
    NO_COLOR: "1",
    // a command that needs no server (config) must not need one found either
    ...server !== null && {
      NATS_SERVER_BIN: (await findNatsServerBinary()).path,
      NAQ_NATS_SERVERS: server,
      NAQ_NATS_CONNECT_TIMEOUT: "2s",
    },
  };
}

/** The `deno run` arguments of every `naq` child, after its permission flags. */
const DENO_RUN = ["--cached-only", "--config", DENO_JSON, CLI] as const;

/** Runs `naq` with the environment of {@linkcode naqEnv} and `options.env`. */
async function command(
  server: string | null,
  args: readonly string[],
  options: NaqOptions,
): Promise<Deno.Command> {
  const deno = ["run", ...options.permissions ?? ["-A"], ...DENO_RUN, ...args];
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const line = [Deno.execPath(), ...deno].map(quote).join(" ");
  return new Deno.Command(options.terminal ? "script" : Deno.execPath(), {
    args: options.terminal ? ["-qec", line, "/dev/null"] : deno,
    cwd: options.cwd ?? FIXTURES,
    clearEnv: true,
    env: { ...await naqEnv(server), ...options.env, ...options.terminal && { TERM: "dumb" } },
    // on a terminal, its stdin is the terminal's: `script` reads nothing from this one
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Runs `naq <args>` against `server` (or, with `null`, with no server configured) and waits
 * for it to exit.
 */
export async function runNaq(
  server: string | null,
  args: readonly string[],
  options: NaqOptions = {},
): Promise<NaqOutput> {
  const output = await (await command(server, args, options)).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * Runs `naq <args>` as `runNaq` does, but on a pseudo-terminal made by util-linux `script`,
 * so that it behaves as it does for a person at a terminal, who types `input`. Its stdout and
 * stderr both land in `stdout` (with what was typed, echoed).
 */
export async function runNaqOnTerminal(
  server: string,
  args: readonly string[],
  input?: string,
): Promise<NaqOutput> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const line = [Deno.execPath(), "run", "-A", ...DENO_RUN, ...args].map(quote);
  const child = new Deno.Command("script", {
    args: ["-qec", line.join(" "), "/dev/null"],
    cwd: FIXTURES,
    clearEnv: true,
    env: { ...await naqEnv(server), TERM: "dumb" },
    // what is written here is typed at the terminal (the terminal holds it until read)
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Whether util-linux `script`, which {@linkcode runNaqOnTerminal} needs, is installed. */
export function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
}

/** A `naq` process running in the background; `await using` kills it if still running. */
export interface RunningNaq extends AsyncDisposable {
  /** Everything it printed on stdout so far. */
  readonly stdout: () => string;
  /** Everything it printed on stderr so far. */
  readonly stderr: () => string;
  /**
   * Waits until stdout (or stderr) so far matches `pattern`: it wakes on each new chunk of
   * output, and fails once the process ended without printing it, or after `timeoutMs`
   * (default 30 s, generous for a loaded machine: it only bounds a wait for an event).
   */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr", timeoutMs?: number): Promise<void>;
  /** Sends `signal` and returns the exit code once the process and its output have ended. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Sends `signal` and returns at once, as a person pressing Ctrl-C does. */
  kill(signal: Deno.Signal): void;
  /** Returns the exit code once the process ended by itself and its output was read. */
  exited(): Promise<number>;
}

/** Starts `naq <args>` against `server` in the background. */
export async function spawnNaq(
  server: string,
  args: readonly string[],
  options: NaqOptions = {},
): Promise<RunningNaq> {
  const child = (await command(server, args, options)).spawn();
  const text = { stdout: "", stderr: "" };
  // settled, and replaced, whenever output arrives or the process has ended
  let changed = Promise.withResolvers<void>();
  const notify = () => {
    changed.resolve();
    changed = Promise.withResolvers();
  };
  const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text[into] += chunk;
      notify();
    }
  };
  const drained = Promise.all([collect(child.stdout, "stdout"), collect(child.stderr, "stderr")]);
  // true once the process exited and all it printed has been read
  let ended = false;
  const status = child.status.then(async (status) => {
    await drained;
    ended = true;
    notify();
    return status.code;
  });
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    async waitFor(pattern, stream = "stdout", timeoutMs = 30_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timed out">((resolve) => {
        timer = setTimeout(() => resolve("timed out"), timeoutMs);
      });
      const failure = (why: string) =>
        new Error(
          `naq ${args.join(" ")} ${why} before printing ${pattern} on ${stream}\n` +
            `stdout: ${text.stdout}\nstderr: ${text.stderr}`,
        );
      try {
        while (!pattern.test(text[stream])) {
          if (ended) throw failure("exited");
          if (await Promise.race([changed.promise, timedOut]) === "timed out") {
            throw failure(`printed nothing matching in ${timeoutMs} ms`);
          }
        }
      } finally {
        clearTimeout(timer);
      }
    },
    kill(signal) {
      child.kill(signal);
    },
    exited: () => status,
    async stop(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // it exited already
      }
      return await status;
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // it exited already
      }
      await status;
    },
  };
}

/** A worker running the fixture tasks add and fail on `queue`, until disposed. */
export function startFixtureWorker(services: ServiceManager, queue: string): Worker {
  const worker = new Worker(queue, [add, fail], { services, handleSignals: false, logger: silent });
  void worker.run();
  return worker;
}
