/**
 * Greets the configured servers, and logs in where they ask for it, before nats.js connects.
 *
 * Why: `@nats-io/transport-node` 3.4.0 mishandles two failures at connect. When a server
 * accepts TCP but never speaks (a load balancer with no backend, a hung process), it times
 * out but leaves its socket open, so every failed start would leak one. When a server refuses
 * the login, the reset that follows surfaces as an uncaught ECONNRESET that ends the process.
 * A probe we own closes its socket and reports both as a plain reason. Over TLS it also does
 * the handshake (see `tls_upgrade.ts`), so that a refused certificate is a reason too.
 *
 * @module
 */
import { type TlsMaterial, TlsRefusedError, upgradeToTls } from "./tls_upgrade.ts";

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
  /**
   * What some server refused, when one did: the login, or the TLS session (a certificate, or
   * TLS settings the server cannot use); undefined when every failure was no answer, or when
   * another server greeted: one server's refusal is no reason not to use another.
   */
  readonly refused?: "login" | "tls";
}

/** What the probe offers a server: the login, and the `nats.tls` files. */
export interface ProbeLogin {
  readonly credentials: Credentials;
  readonly tls: TlsMaterial;
}

/**
 * Probes every server at once; each has `timeoutMs` to greet with INFO, to complete the TLS
 * handshake when it offers TLS, and, when it asks for a login, to accept it.
 *
 * @param servers the configured server URLs
 * @param timeoutMs how long a server has to greet
 * @param login the login and the TLS files to offer
 * @returns the servers with the first to greet moved to the front; when none greeted,
 *   `failures` has a reason for each
 */
export async function probeServers(
  servers: readonly string[],
  timeoutMs: number,
  login: ProbeLogin,
): Promise<ProbeResult> {
  const failures = new Map<string, string>();
  let refused: ProbeResult["refused"];
  const stop = new AbortController();
  // real time: a network timeout
  const deadline = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
  let first: string | undefined;
  await Promise.all(servers.map(async (url) => {
    try {
      await greet(url, deadline, login);
      first ??= url;
      stop.abort(); // one is enough: release the other probes' sockets now
    } catch (err) {
      if (stop.signal.aborted) return;
      failures.set(url, describe(err, deadline));
      // past the deadline, the error is of the socket the probe closed: no refusal
      if (deadline.aborted) return;
      if (err instanceof LoginRefusedError) refused ??= "login";
      if (err instanceof TlsRefusedError) refused ??= "tls";
    }
  }));
  if (first === undefined) return { servers: [...servers], failures, refused };
  return { servers: [first, ...servers.filter((url) => url !== first)], failures };
}

async function greet(url: string, signal: AbortSignal, login: ProbeLogin): Promise<void> {
  const address = hostAndPort(url);
  const conn = await untilAborted(Deno.connect(address), signal, (late) => late.close());
  let session: Session = denoSession(conn);
  const close = () => {
    try {
      session.close();
    } catch {
      // already closed
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    let lines = readLines(session);
    const greeting = (await lines.next()).value;
    if (!greeting?.startsWith("INFO ")) throw new Error("the server's greeting is not NATS INFO");
    const info = JSON.parse(greeting.slice(5)) as {
      auth_required?: boolean;
      tls_required?: boolean;
      tls_available?: boolean;
      nonce?: string;
    };
    // nats.js upgrades whenever the server offers TLS, and refuses a server without it when
    // TLS is configured
    const tls = info.tls_required || info.tls_available;
    if (!tls && login.tls.configured) {
      throw new TlsRefusedError(
        "nats.tls is set, and the server does not offer TLS: remove nats.tls, or give the " +
          "server a tls block",
      );
    }
    if (tls) {
      session = await upgradeToTls(conn, address.hostname, login.tls);
      lines = readLines(session);
    } else if (!info.auth_required) {
      return;
    }
    // over TLS, a round trip also shows whether the server took the client certificate
    const fields = info.auth_required ? login.credentials(info.nonce) : {};
    const connect = { verbose: false, pedantic: false, protocol: 1, ...fields };
    await session.write(new TextEncoder().encode(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`));
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

/** A probe's connection: plain TCP, or TLS over it. */
interface Session {
  /** The next chunk the server sent; null once it closed. */
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<unknown>;
  close(): void;
}

function denoSession(conn: Deno.Conn): Session {
  const buffer = new Uint8Array(4096);
  return {
    read: async () => {
      const n = await conn.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    write: (data) => conn.write(data),
    close: () => conn.close(),
  };
}

/** Yields the lines a server sends, without their CRLF, until it closes the connection. */
async function* readLines(session: Session): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  while (true) {
    const chunk = await session.read();
    if (chunk === null) {
      if (pending === "") throw new Error("the server closed the connection without a greeting");
      return;
    }
    pending += decoder.decode(chunk, { stream: true });
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
