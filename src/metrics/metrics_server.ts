/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` answers a registry's metrics in the
 * Prometheus text format, served with `Deno.serve`.
 *
 * @module
 */
import type { Registry } from "prom-client";

/** Where to serve `/metrics`. */
export interface MetricsListen {
  /** The TCP port; 0 lets the system pick one (see {@linkcode MetricsServer.port}). */
  readonly port: number;
  /** The address to listen on; `127.0.0.1` (this machine only) by default. */
  readonly hostname?: string;
}

/** The default address: metrics say what runs here, so only this machine sees them. */
export const METRICS_HOSTNAME = "127.0.0.1";

/** Serves one registry's metrics at `/metrics` until closed. */
export class MetricsServer implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #closed?: Promise<void>;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>) {
    this.#server = server;
  }

  /**
   * Listens at once.
   *
   * @throws {RangeError} for a bad port or hostname (see {@linkcode checkMetricsListen})
   * @throws {Error} when the address cannot be listened on (in use, or not this machine's)
   */
  static start(registry: Registry, listen: MetricsListen): MetricsServer {
    const { port, hostname = METRICS_HOSTNAME } = checkMetricsListen(listen);
    try {
      return new MetricsServer(Deno.serve({
        port,
        hostname,
        onListen: () => {}, // not "Listening on …" on stdout: the caller says what it serves
      }, (request) => answer(registry, request)));
    } catch (err) {
      throw new Error(
        `Cannot serve metrics on ${hostname}:${port}: ${(err as Error).message}; ` +
          `choose another port (or hostname)`,
        { cause: err },
      );
    }
  }

  /** The port it listens on: the one the system picked, for port 0. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** The address it listens on. */
  get hostname(): string {
    return this.#server.addr.hostname;
  }

  /** Stops listening, once; scrapes under way finish first. */
  close(): Promise<void> {
    this.#closed ??= this.#server.shutdown();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function answer(registry: Registry, request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname !== "/metrics") {
    return new Response("naq serves its metrics at /metrics\n", { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("only GET /metrics\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  try {
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType },
    });
  } catch (err) {
    return new Response(`naq could not collect its metrics: ${err}\n`, { status: 500 });
  }
}

/**
 * Checks where metrics are to be served, before anything listens.
 *
 * @throws {RangeError} when the port is not an integer from 0 to 65535, or the hostname is empty
 */
export function checkMetricsListen(listen: MetricsListen): MetricsListen {
  const { port, hostname } = listen;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(
      `Cannot serve metrics on port ${JSON.stringify(port)}: a port is an integer from 0 ` +
        `to 65535 (0 picks a free one)`,
    );
  }
  if (hostname !== undefined && (typeof hostname !== "string" || hostname.trim() === "")) {
    throw new RangeError(
      `Cannot serve metrics on hostname ${JSON.stringify(hostname)}: give an address such ` +
        `as "127.0.0.1" (this machine only) or "0.0.0.0" (every interface), or leave it out`,
    );
  }
  return listen;
}
