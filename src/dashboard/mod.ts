/**
 * naq's web dashboard: queues, jobs, dead letters, schedules and workers, live. A subpath of
 * its own (`@naq/naq/dashboard`), so that an application that only enqueues and works does
 * not load a web framework.
 *
 * Serve it alone with {@linkcode serveDashboard} (or `naq dashboard`), or mount the fetch
 * handler of {@linkcode createDashboard} in your own server.
 *
 * @example Mount it in a Hono app
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createConfig } from "@naq/naq";
 * import { createDashboard } from "@naq/naq/dashboard";
 *
 * const dashboard = createDashboard({
 *   config: createConfig(),
 *   basePath: "/naq",
 *   token: Deno.env.get("NAQ_DASHBOARD_TOKEN"),
 * });
 * const app = new Hono();
 * app.mount("/naq", dashboard.fetch, { replaceRequest: false });
 * Deno.serve(app.fetch);
 * ```
 *
 * @module
 */
export { createDashboard, type Dashboard, type DashboardOptions } from "./dashboard.ts";
export {
  DEFAULT_DASHBOARD_PORT,
  serveDashboard,
  type ServeDashboardOptions,
  type ServedDashboard,
} from "./serve.ts";
export { TOKEN_HEADER } from "./access.ts";
