/**
 * Serves a dashboard on its own port, as `naq dashboard` does: on 127.0.0.1 unless told
 * otherwise, and beyond this machine only with a token or read-only.
 *
 * @module
 */
import { checkExposure } from "./access.ts";
import { createDashboard, type DashboardOptions } from "./dashboard.ts";

/** Where and how to serve a dashboard. */
export type ServeDashboardOptions = DashboardOptions & {
  /** The address to listen on; `127.0.0.1` by default. */
  readonly host?: string;
  /** The port; 8787 by default, 0 for any free one. */
  readonly port?: number;
};

/** A dashboard being served. */
export interface ServedDashboard extends AsyncDisposable {
  /** Where it answers, such as `http://127.0.0.1:8787/`. */
  readonly url: string;
  /** Settles once it stopped serving. */
  readonly finished: Promise<void>;
  /** Stops serving, ends the live streams, and closes the connection when it owns it. */
  close(): Promise<void>;
}

/** The port `naq dashboard` listens on unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 8787;

/**
 * Starts serving a dashboard.
 *
 * @example Serve it on localhost
 * ```ts ignore
 * import { createConfig } from "@naq/naq";
 * import { serveDashboard } from "@naq/naq/dashboard";
 *
 * await using served = await serveDashboard({ config: createConfig(), port: 8787 });
 * console.log(`dashboard at ${served.url}`);
 * await served.finished;
 * ```
 * @throws {Error} before listening, for a host beyond this machine without a token and
 *   without `readOnly`
 */
export async function serveDashboard(options: ServeDashboardOptions): Promise<ServedDashboard> {
  const { host = "127.0.0.1", port = DEFAULT_DASHBOARD_PORT } = options;
  const token = options.token ??
    ("services" in options ? options.services.config : options.config).dashboard.token;
  checkExposure(host, { token, readOnly: options.readOnly });
  const dashboard = createDashboard(options);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    server = Deno.serve({ hostname: host, port, onListen: listening.resolve }, dashboard.fetch);
    await listening.promise;
  } catch (err) {
    await dashboard.close();
    throw err;
  }
  const { hostname, port: bound } = server.addr;
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      // the live streams end first: a server waits for open responses before it stops
      const stopping = dashboard.close();
      await server.shutdown();
      await stopping;
    })();
  return {
    url: `http://${shown}:${bound}${options.basePath ?? ""}/`,
    finished: server.finished,
    close,
    [Symbol.asyncDispose]: close,
  };
}
