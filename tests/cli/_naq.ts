/**
 * Running the `naq` CLI as a subprocess against a test server: to completion with
 * {@linkcode runNaq}, or in the background with {@linkcode spawnNaq} for `worker` and
 * `events tail`.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

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

let denoDir: Promise<string> | undefined;

/** The Deno cache directory, so that the child finds the npm packages without the network. */
function cacheDir(): Promise<string> {
  denoDir ??= new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()
    .then((output) => JSON.parse(new TextDecoder().decode(output.stdout)).denoDir as string);
  return denoDir;
}

/** The only environment `naq` runs with, so that the machine's `NAQ_*` cannot leak in. */
async function naqEnv(server: string): Promise<Record<string, string>> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    DENO_DIR: await cacheDir(),
    HOME: "/nonexistent",
    NO_COLOR: "1",
    NAQ_NATS_SERVERS: server,
    NAQ_NATS_CONNECT_TIMEOUT: "2s",
  };
}

/** Runs `naq` with the environment of {@linkcode naqEnv} and `env`. */
async function command(
  server: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Deno.Command> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_JSON, CLI, ...args],
    cwd,
    clearEnv: true,
    env: { ...await naqEnv(server), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `naq <args>` against `server`, with `env` added, and waits for it to exit. */
export async function runNaq(
  server: string,
  args: readonly string[],
  cwd = FIXTURES,
  env: Record<string, string> = {},
): Promise<NaqOutput> {
  const output = await (await command(server, args, cwd, env)).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * Runs `naq <args>` as `runNaq` does, but on a pseudo-terminal made by util-linux `script`,
 * so that it behaves as it does for a person at a terminal. Its stdout and stderr both land
 * in `stdout`.
 */
export async function runNaqOnTerminal(
  server: string,
  args: readonly string[],
): Promise<NaqOutput> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const line = [Deno.execPath(), "run", "-A", "--config", DENO_JSON, CLI, ...args].map(quote);
  const output = await new Deno.Command("script", {
    args: ["-qec", line.join(" "), "/dev/null"],
    cwd: FIXTURES,
    clearEnv: true,
    env: { ...await naqEnv(server), TERM: "dumb" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A `naq` process running in the background; `await using` kills it if still running. */
export interface RunningNaq extends AsyncDisposable {
  /** Everything it printed on stdout so far. */
  readonly stdout: () => string;
  /** Everything it printed on stderr so far. */
  readonly stderr: () => string;
  /** Waits until stdout (or stderr) so far matches `pattern`; fails after `timeoutMs`. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr", timeoutMs?: number): Promise<void>;
  /** Sends `signal` and returns the exit code once the process and its output have ended. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Starts `naq <args>` against `server` in the background. */
export async function spawnNaq(
  server: string,
  args: readonly string[],
  cwd = FIXTURES,
): Promise<RunningNaq> {
  const child = (await command(server, args, cwd)).spawn();
  const text = { stdout: "", stderr: "" };
  const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text[into] += chunk;
  };
  const drained = Promise.all([collect(child.stdout, "stdout"), collect(child.stderr, "stderr")]);
  let exited = false;
  const status = child.status.then(async (status) => {
    exited = true;
    await drained;
    return status.code;
  });
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    async waitFor(pattern, stream = "stdout", timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text[stream])) {
        if (exited || Date.now() > deadline) {
          throw new Error(
            `naq ${args.join(" ")} ${exited ? "exited" : "timed out"} before printing ` +
              `${pattern} on ${stream}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
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
