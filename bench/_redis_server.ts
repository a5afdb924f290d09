/**
 * A throwaway `redis-server` for bench/report_compare.ts: a free loopback port, a temporary
 * directory, stopped and removed on dispose.
 */
import { freePort } from "../src/dev/nats_server.ts";

// Debian's redis-server package installs it here; not every user's PATH has it
const FALLBACK_DIRS = ["/usr/bin", "/usr/local/bin"];

/** A running `redis-server`; `await using` stops it and removes its directory. */
export interface RedisServer extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Such as `"7.0.15"`. */
  readonly version: string;
}

/**
 * The `redis-server` to run: `REDIS_SERVER_BIN` when set, else the first on `PATH`, in
 * `/usr/bin` or in `/usr/local/bin`.
 *
 * @throws {Error} naming where it looked and how to install one, when there is none
 */
export function findRedisServer(): string {
  const explicit = Deno.env.get("REDIS_SERVER_BIN");
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...FALLBACK_DIRS];
  const candidates = explicit ? [explicit] : [...new Set(dirs)].map((dir) => `${dir}/redis-server`);
  const found = candidates.find((path) => {
    try {
      const info = Deno.statSync(path);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
  if (found) return found;
  throw new Error(
    explicit
      ? `REDIS_SERVER_BIN is ${explicit}, which is not an executable file: point it at a ` +
        "redis-server, or unset it to look on PATH and in /usr/bin"
      : "Cannot run the BullMQ part of the bench as no redis-server was found on PATH or in " +
        `${FALLBACK_DIRS.join(", ")}: install one (Debian or Ubuntu: sudo apt-get install -y ` +
        "redis-server; macOS: brew install redis), or set REDIS_SERVER_BIN to the executable",
  );
}

/**
 * Starts `redis-server` and waits until it answers PING.
 *
 * Persistence is chosen to match a JetStream file store: every write is appended to a file
 * (`appendonly yes`) and fsynced once a second, and no RDB snapshot forks mid-run.
 *
 * @param binary the executable, from {@linkcode findRedisServer}
 * @returns the running server
 * @throws {Error} when it exits or does not answer within 10 s; the message quotes its log
 */
export async function startRedisServer(binary: string): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "naq-redis-" });
  const port = freePort();
  const logFile = `${dir}/redis.log`;
  const child = new Deno.Command(binary, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--logfile",
      logFile,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  // real time: this waits for another process to start
  const deadline = Date.now() + 10_000;
  while (!exited && Date.now() < deadline) {
    const version = await tryInfoVersion(port);
    if (version) return { port, version, [Symbol.asyncDispose]: stop };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const log = await Deno.readTextFile(logFile).catch(() => "(no log)");
  await stop();
  throw new Error(
    `redis-server ${exited ? "exited" : "did not answer within 10 s"}; its log ends with:\n` +
      log.split("\n").slice(-15).join("\n"),
  );
}

/** The server's version from `INFO server`, or undefined when it does not answer yet. */
async function tryInfoVersion(port: number): Promise<string | undefined> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("INFO server\r\n"));
    let reply = "";
    const buffer = new Uint8Array(16_384);
    // a bulk string: "$<length>\r\n<text>\r\n"; read until the version line is in
    while (!/redis_version:\S+/.test(reply)) {
      const n = await conn.read(buffer);
      if (n === null) return undefined;
      reply += new TextDecoder().decode(buffer.subarray(0, n));
      if (reply.startsWith("-")) return undefined; // such as -LOADING
    }
    return /redis_version:(\S+)/.exec(reply)![1];
  } catch {
    return undefined;
  } finally {
    conn?.close();
  }
}
