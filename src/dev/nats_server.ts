/**
 * A `nats-server` child process with JetStream, on free loopback ports, for `naq dev`, the
 * demo and the tests. Not a production deployment: one process, loopback only.
 *
 * @module
 */
import { findNatsServerBinary } from "./nats_server_binary.ts";

/** How to start a {@linkcode NatsServer}. */
export interface NatsServerOptions {
  /** Client port; a free one when omitted. */
  port?: number;
  /** Monitoring (HTTP) port; a free one when omitted. */
  monitorPort?: number;
  /** JetStream store directory; `jetstream` in the work directory when omitted. */
  storeDir?: string;
  /**
   * Where the server's configuration and log go; a new temporary directory, removed with
   * everything in it on dispose, when omitted. A given one is kept, with the log.
   */
  workDir?: string;
  /** Server name, also its JetStream node name. */
  name?: string;
  /** Extra lines for the server's configuration file, such as `max_payload: 4096`. */
  extraConfig?: string;
  /** How long to wait for the server to report healthy. Default 10 s. */
  readyTimeoutMs?: number;
  /** The executable; the one {@linkcode findNatsServerBinary} finds when omitted. */
  binary?: string;
  /**
   * Run it in a session of its own, so that Ctrl-C in a terminal reaches only this process,
   * which then stops the server once its work is drained. Default false.
   */
  detached?: boolean;
}

/** A running `nats-server`; `await using` stops it and removes what it created. */
export interface NatsServer extends AsyncDisposable {
  /** The client URL, such as `nats://127.0.0.1:4222`. */
  readonly url: string;
  /** The client port. */
  readonly port: number;
  /** The monitoring endpoint, such as `http://127.0.0.1:8222`. */
  readonly monitorUrl: string;
  /** The JetStream store directory. */
  readonly storeDir: string;
  /** The server's log file. */
  readonly logFile: string;
  /** The process id, or `undefined` while stopped. */
  readonly pid: number | undefined;
  /** GETs a monitoring endpoint (`connz`, `varz`, `jsz`, …) and returns its JSON. */
  monitor<T = Record<string, unknown>>(endpoint: string): Promise<T>;
  /** The number of client connections open now, from `/connz`. */
  connectionCount(): Promise<number>;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: Deno.Signal): Promise<void>;
  /** Starts the process again on the same ports and store, after {@linkcode kill}. */
  restart(): Promise<void>;
}

// ports handed out already: a port is free again once its listener closes, so without this
// a cluster's route port could be handed out again as another node's client port
const handedOut = new Set<number>();

/** Finds a TCP port on 127.0.0.1 that nothing listens on now and this process was not given. */
export function freePort(): number {
  while (true) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * Starts `nats-server -js` and waits until its health endpoint says it is ready.
 *
 * @param options ports, store directory, extra configuration
 * @returns the running server
 * @throws {NatsServerNotFoundError} when no new enough `nats-server` is installed
 * @throws {Error} when it exits or is not healthy in time; the message quotes its log
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      // a port found free a moment ago may be taken by another process before the server
      // binds it: choose again, when this function chose
      const portsChosenHere = options.port === undefined || options.monitorPort === undefined;
      const taken = err instanceof Error && err.message.includes("address already in use");
      if (!portsChosenHere || !taken || attempt >= 5) throw err;
    }
  }
}

async function startOnce(options: NatsServerOptions): Promise<NatsServer> {
  const binary = options.binary ?? (await findNatsServerBinary()).path;
  const temporary = options.workDir === undefined;
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: "naq-nats-" });
  if (!temporary) await Deno.mkdir(workDir, { recursive: true });
  const storeDir = options.storeDir ?? `${workDir}/jetstream`;
  const port = options.port ?? freePort();
  const monitorPort = options.monitorPort ?? freePort();
  const name = options.name ?? `naq-${port}`;
  const configFile = `${workDir}/nats-server.conf`;
  const logFile = `${workDir}/nats-server.log`;
  const cleanUp = () =>
    Deno.remove(temporary ? workDir : configFile, { recursive: temporary }).catch(() => {});
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  await Deno.writeTextFile(
    configFile,
    [
      `server_name: ${JSON.stringify(name)}`,
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${monitorPort}"`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
      options.extraConfig ?? "",
    ].join("\n"),
  );

  let child: Deno.ChildProcess | undefined;
  const spawn = async () => {
    child = new Deno.Command(binary, {
      args: ["-c", configFile, "-l", logFile],
      detached: options.detached ?? false,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitUntilHealthy(child, monitorUrl, logFile, options.readyTimeoutMs ?? 10_000);
  };
  const kill = async (signal: Deno.Signal = "SIGKILL") => {
    const running = child;
    if (!running) return;
    child = undefined;
    try {
      running.kill(signal);
    } catch {
      // it already exited
    }
    await running.status;
  };
  const monitor = async <T>(endpoint: string): Promise<T> => {
    const response = await fetch(`${monitorUrl}/${endpoint}`);
    if (!response.ok) throw new Error(`GET ${monitorUrl}/${endpoint}: ${response.status}`);
    return await response.json() as T;
  };

  try {
    await spawn();
  } catch (err) {
    await kill();
    await cleanUp();
    throw err;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl,
    storeDir,
    logFile,
    get pid() {
      return child?.pid;
    },
    monitor,
    async connectionCount() {
      return (await monitor<{ num_connections: number }>("connz")).num_connections;
    },
    kill,
    async restart() {
      await kill();
      await spawn();
    },
    async [Symbol.asyncDispose]() {
      await kill();
      await cleanUp();
    },
  };
}

async function waitUntilHealthy(
  child: Deno.ChildProcess,
  monitorUrl: string,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  // real time: this waits for another process to start
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${monitorUrl}/healthz`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    // real time, as above
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const log = await Deno.readTextFile(logFile).catch(() => "(no log)");
  throw new Error(
    `nats-server ${exited ? "exited" : `was not healthy after ${timeoutMs} ms`}; ` +
      `its log (${logFile}) ends with:\n${log.split("\n").slice(-15).join("\n")}`,
  );
}
