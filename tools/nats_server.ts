/**
 * Finds a `nats-server` new enough for naq, fetching Debian's build into naq's cache when
 * there is none, then either prints its path or runs a command with it:
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write --allow-env tools/nats_server.ts
 * deno run … tools/nats_server.ts deno run --allow-run={nats-server} … tools/demo.ts
 * ```
 *
 * The command runs with `NATS_SERVER_BIN` set to the server's path, and each `{nats-server}`
 * in its arguments replaced by that path, so that a task can grant `--allow-run` for exactly
 * the server it found, wherever it is.
 *
 * @module
 */
import {
  findNatsServerBinary,
  type NatsServerBinary,
  NatsServerNotFoundError,
} from "../src/dev/nats_server_binary.ts";
import { MIN_NATS_SERVER_VERSION } from "../src/core/server_version.ts";
import { cannotFetchFromDebian, fetchDebianNatsServer } from "./_debian_nats_server.ts";

const say = (line: string) => console.error(`nats-server: ${line}`);

async function ensureNatsServer(): Promise<NatsServerBinary> {
  try {
    return await findNatsServerBinary();
  } catch (err) {
    if (!(err instanceof NatsServerNotFoundError) || err.explicit) throw err;
    const reason = cannotFetchFromDebian();
    if (reason) {
      throw new Error(
        `No nats-server ${MIN_NATS_SERVER_VERSION} or newer was found ` +
          `(${err.searched.join("; ")}), and none can be fetched here: ${reason}.\n` +
          manualSteps(),
      );
    }
    say(`none of ${MIN_NATS_SERVER_VERSION} or newer is installed; fetching Debian's build`);
    const fetched = await fetchDebianNatsServer(say);
    say(`installed ${fetched.version} at ${fetched.path}`);
    return await findNatsServerBinary();
  }
}

function manualSteps(): string {
  const arch = ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch];
  const release = `v${MIN_NATS_SERVER_VERSION}`;
  const asset = `nats-server-${release}-${Deno.build.os}-${arch ?? Deno.build.arch}`;
  return [
    "Install nats-server yourself, then put it on PATH or set NATS_SERVER_BIN to it:",
    "  macOS:     brew install nats-server",
    `  a release: curl -fsSL https://github.com/nats-io/nats-server/releases/download/${release}/` +
    `${asset}.tar.gz | tar -xz && export NATS_SERVER_BIN=$PWD/${asset}/nats-server`,
    "  to run a server without installing one (naq dev, the examples; not the tests):",
    "             docker run -p 4222:4222 nats:2.12 -js",
  ].join("\n");
}

async function runWith(server: NatsServerBinary, command: string[]): Promise<number> {
  const [program, ...args] = command.map((arg) => arg.replaceAll("{nats-server}", server.path));
  // a task's `deno` is the Deno running this script, which may not be on PATH (npx).
  // Detached, so that a Ctrl-C reaches the child once, through us, and not also from the
  // terminal: a second SIGINT tells a worker to hand its running jobs back
  const child = new Deno.Command(program === "deno" ? Deno.execPath() : program, {
    args,
    env: { NATS_SERVER_BIN: server.path },
    stdin: "inherit",
    detached: true,
  }).spawn();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // it exited already
      }
    });
  }
  return (await child.status).code;
}

if (import.meta.main) {
  let server: NatsServerBinary;
  try {
    server = await ensureNatsServer();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    Deno.exit(1);
  }
  if (Deno.args.length === 0) {
    say(`${server.version}`);
    console.log(server.path);
  } else {
    Deno.exit(await runWith(server, Deno.args));
  }
}
