/**
 * Makes sure `nats-server` is installed before the tests or the demo run: on Debian or
 * Ubuntu as root it installs Debian's package; elsewhere it says exactly what to run.
 */
import { findNatsServerBinary, NatsServerNotFoundError } from "../src/dev/nats_server_binary.ts";

async function run(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdin: "null", stdout: "null" })
      .spawn().status;
    return success;
  } catch {
    return false; // not installed, or not allowed
  }
}

/** Returns the path of nats-server, installing it with apt-get when that is possible. */
export async function ensureNatsServer(): Promise<string> {
  try {
    return findNatsServerBinary();
  } catch (err) {
    if (!(err instanceof NatsServerNotFoundError)) throw err;
    console.error("nats-server is not installed; trying apt-get install -y nats-server …");
    const installed = await run("apt-get", ["update", "-qq"]) &&
      await run("apt-get", ["install", "-y", "-qq", "nats-server"]);
    if (installed) return findNatsServerBinary();
    throw new NatsServerNotFoundError(err.searched);
  }
}

if (import.meta.main) {
  try {
    console.error(`using ${await ensureNatsServer()}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    Deno.exit(1);
  }
}
