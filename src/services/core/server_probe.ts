/**
 * Greets the configured servers, and logs in where they ask for it, before nats.js connects.
 *
 * Why: `@nats-io/transport-node` 3.4.0 mishandles two failures at connect. When a server
 * accepts TCP but never speaks (a load balancer with no backend, a hung process), it times
 * out but leaves its socket open, so every failed start would leak one. When a server refuses
 * the login, the reset that follows surfaces as an uncaught ECONNRESET that ends the process.
 * A probe we own closes its socket and reports both as a plain reason.
 *
 * @module
 */

/** The login fields of a NATS CONNECT, for the server's nonce (nkey and creds sign it). */
export type Credentials = (nonce: string | undefined) => Record<string, unknown>;

/** Raised by the probe when a server refused the login, as opposed to being unreachable. */
export class LoginRefusedError extends Error {
  /** @param reason the server's own words, such as "Authorization Violation" */
  constructor(reason: string) {
    super(`the server refused the login (${reason})`);
    this.name = "LoginRefusedError";
  }
}

/** The result of probing the configured servers. */
export interface ProbeResult {
  /** The servers to try, the first to greet first, the rest in their configured order. */
  readonly servers: string[];
  /** Why each server that did not greet failed, by URL. */
  readonly failures: ReadonlyMap<string, string>;
  /** True when some server refused the login. */
  readonly loginRefused: boolean;
}

/**
 * Probes every server at once; each has `timeoutMs` to greet with INFO and, when it asks
 * for a login over plain TCP, to accept `credentials`.
 *
 * @param servers the configured server URLs
 * @param timeoutMs how long a server has to greet
 * @param credentials the login to offer
 * @returns the servers with the first to greet moved to the front; when none greeted,
 *   `failures` has a reason for each
 */
export async function probeServers(
  servers: readonly string[],
  timeoutMs: number,
  credentials: Credentials,
): Promise<ProbeResult> {
  const failures = new Map<string, string>();
  let loginRefused = false;
  const stop = new AbortController();
  // real time: a network timeout
  const deadline = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
  let first: string | undefined;
  await Promise.all(servers.map(async (url) => {
    try {
      await greet(url, deadline, credentials);
      first ??= url;
      stop.abort(); // one is enough: release the other probes' sockets now
    } catch (err) {
      if (stop.signal.aborted) return;
      failures.set(url, describe(err, deadline));
      loginRefused ||= err instanceof LoginRefusedError;
    }
  }));
  if (first === undefined) return { servers: [...servers], failures, loginRefused };
  return { servers: [first, ...servers.filter((url) => url !== first)], failures, loginRefused };
}

async function greet(url: string, signal: AbortSignal, credentials: Credentials): Promise<void> {
  const conn = await untilAborted(Deno.connect(hostAndPort(url)), signal, (late) => late.close());
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    const lines = readLines(conn);
    const greeting = (await lines.next()).value;
    if (!greeting?.startsWith("INFO ")) throw new Error("the server's greeting is not NATS INFO");
    const info = JSON.parse(greeting.slice(5)) as {
      auth_required?: boolean;
      tls_required?: boolean;
      nonce?: string;
    };
    // over TLS the login happens after the handshake, which is nats.js's to do
    if (!info.auth_required || info.tls_required) return;
    const connect = { verbose: false, pedantic: false, protocol: 1, ...credentials(info.nonce) };
    await conn.write(new TextEncoder().encode(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`));
    for await (const line of lines) {
      if (line === "PONG") return;
      const refused = /^-ERR\s+'(.*)'/.exec(line);
      if (refused) throw new LoginRefusedError(refused[1]);
    }
    throw new Error("the server closed the connection during login");
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

/** Yields the lines a server sends, without their CRLF, until it closes the connection. */
async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let pending = "";
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) {
      if (pending === "") throw new Error("the server closed the connection without a greeting");
      return;
    }
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
    }
  }
}

/** Rejects when `signal` aborts; a value that arrives later is handed to `release`. */
function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  release: (late: T) => void,
): Promise<T> {
  if (signal.aborted) {
    work.then(release, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      work.then(release, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function hostAndPort(url: string): { hostname: string; port: number } {
  const parsed = new URL(url.includes("://") ? url : `nats://${url}`);
  return {
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port ? Number(parsed.port) : 4222,
  };
}

function describe(err: unknown, deadline: AbortSignal): string {
  if (deadline.aborted) return "no greeting within the connect timeout";
  if (err instanceof Deno.errors.ConnectionRefused) return "connection refused";
  return err instanceof Error ? err.message : String(err);
}
