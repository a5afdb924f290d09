/**
 * Asks the configured servers for their INFO greeting before nats.js connects.
 *
 * Why: when a server accepts TCP but never speaks (a load balancer with no backend, a hung
 * process), `@nats-io/transport-node` 3.4.0 times out but leaves its socket open, so every
 * failed start would leak one. A probe we own always closes its socket.
 *
 * @module
 */

/** The result of probing the configured servers. */
export interface ProbeResult {
  /** The servers to try, the first to greet first, the rest in their configured order. */
  readonly servers: string[];
  /** Why each server that did not greet failed, by URL. */
  readonly failures: ReadonlyMap<string, string>;
}

/**
 * Probes every server at once; each has `timeoutMs` to greet with INFO.
 *
 * @param servers the configured server URLs
 * @param timeoutMs how long a server has to greet
 * @returns the servers with the first to greet moved to the front; when none greeted,
 *   `failures` has a reason for each
 */
export async function probeServers(
  servers: readonly string[],
  timeoutMs: number,
): Promise<ProbeResult> {
  const failures = new Map<string, string>();
  const stop = new AbortController();
  const deadline = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
  let first: string | undefined;
  await Promise.all(servers.map(async (url) => {
    try {
      await readGreeting(url, deadline);
      first ??= url;
      stop.abort(); // one is enough: release the other probes' sockets now
    } catch (err) {
      if (!stop.signal.aborted) failures.set(url, describe(err, deadline));
    }
  }));
  if (first === undefined) return { servers: [...servers], failures };
  return { servers: [first, ...servers.filter((url) => url !== first)], failures };
}

async function readGreeting(url: string, signal: AbortSignal): Promise<void> {
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
    const buffer = new Uint8Array(4096);
    let received = "";
    while (!received.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("the server closed the connection without a greeting");
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    if (!/^INFO\s+\{/.test(received)) throw new Error("the server's greeting is not NATS INFO");
  } finally {
    signal.removeEventListener("abort", close);
    close();
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
