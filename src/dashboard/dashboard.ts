/**
 * The dashboard as a fetch handler, to serve alone (`naq dashboard`, `serveDashboard()`) or
 * to mount in an application's own `Deno.serve` or Hono app.
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { JOB_STATES, type JobState } from "../core/job.ts";
import { isQueueName } from "../core/names.ts";
import { ErrorCode, isNaqError } from "../errors.ts";
import { Queue, type ServicesOption } from "../queue.ts";
import { EventService } from "../services/business/event_service.ts";
import { JobService } from "../services/business/jobs/job_service.ts";
import { ServiceManager } from "../services/core/service_manager.ts";
import { type AccessPolicy, refusal, TOKEN_HEADER } from "./access.ts";
import { addActions } from "./actions.ts";
import { SCRIPT, STYLESHEET } from "./assets.ts";
import type { DashboardContext } from "./context.ts";
import { LiveFeed } from "./live_feed.ts";
import { liveStream } from "./live_stream.ts";
import { errorPage } from "./pages/error_page.ts";
import { deadPage } from "./pages/dead_page.ts";
import { jobNotFoundPage, jobPage } from "./pages/job_page.ts";
import { queuePage } from "./pages/queue_page.ts";
import { queuesPage } from "./pages/queues_page.ts";
import { schedulesPage } from "./pages/schedules_page.ts";
import { workersPage } from "./pages/workers_page.ts";
import { registryWorkers } from "./workers_source.ts";

/** How a dashboard is made. */
export type DashboardOptions = ServicesOption & {
  /**
   * The path it is mounted under, such as `/naq`: its links start with it, and it answers
   * only below it. The root when omitted.
   */
  readonly basePath?: string;
  /** The secret every action needs; `dashboard.token` of the configuration when omitted. */
  readonly token?: string;
  /** Refuse every action, and show no buttons for them. */
  readonly readOnly?: boolean;
};

/** A dashboard: a fetch handler, and what it holds open (a subscription per queue). */
export interface Dashboard extends AsyncDisposable {
  /**
   * Answers one request; mount it as a `Deno.serve` handler or under a Hono route. Hand it
   * the `info` that `Deno.serve` gives (Hono's `mount()` does): without a token, an action is
   * taken only from a client on this machine, and only `info` says where a client is.
   */
  readonly fetch: (request: Request, info?: Deno.ServeHandlerInfo) => Promise<Response>;
  /** Ends the live streams and subscriptions, and the connection when it owns it. */
  close(): Promise<void>;
}

/**
 * Makes a dashboard. It starts hearing the queues' events at once: its charts count from
 * then on.
 *
 * @example Mount it under /naq in your own server
 * ```ts ignore
 * import { createConfig } from "@naq/naq";
 * import { createDashboard } from "@naq/naq/dashboard";
 *
 * const dashboard = createDashboard({ config: createConfig(), basePath: "/naq" });
 * Deno.serve({ hostname: "127.0.0.1" }, (request, info) =>
 *   new URL(request.url).pathname.startsWith("/naq")
 *     ? dashboard.fetch(request, info)
 *     : new Response("my app"));
 * ```
 * @throws {TypeError} for a base path that does not start with `/`, or ends with one
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const base = options.basePath ?? "";
  if (base !== "" && (!base.startsWith("/") || base.endsWith("/"))) {
    throw new TypeError(
      `Cannot mount the dashboard at ${JSON.stringify(base)}: give a path such as "/naq" ` +
        `(starting with "/", not ending with one), or none for the root`,
    );
  }
  const ownsServices = !("services" in options);
  const services = "services" in options ? options.services : new ServiceManager(options.config);
  const policy: AccessPolicy = {
    token: options.token ?? services.config.dashboard.token,
    readOnly: options.readOnly ?? false,
  };
  const feed = new LiveFeed({
    events: () => services.get(EventService),
    exists: async (queue) =>
      await (await services.get(JobService)).messageCount(queue).catch(() => null) !== null,
    history: services.config.events.enabled,
    now: () => services.clock.now(),
  });
  const context: DashboardContext = {
    services,
    base,
    policy,
    feed,
    workers: registryWorkers(services),
  };
  const streams = new AbortController();
  const app = buildApp(context, streams.signal);
  // the charts count from now: hear every queue known already
  void services.get(JobService).then((jobs) => jobs.queues())
    .then((queues) => feed.watch(queues, { known: true }))
    .catch(() => {}); // the pages say what is wrong with the connection
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      streams.abort();
      feed.close();
      if (ownsServices) await services.close();
    })();
  return {
    fetch: async (request, info) => await app.fetch(request, info),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function buildApp(context: DashboardContext, closing: AbortSignal): Hono {
  const { base, policy, feed } = context;
  // "/naq" and "/naq/" are the same page
  const app = context.base ? new Hono({ strict: false }).basePath(base) : new Hono();
  const notice = (c: { req: { query(name: string): string | undefined } }) => c.req.query("notice");
  const queueParam = (name: string) => {
    if (!isQueueName(name)) throw new HttpError(404, `There is no queue ${name}`);
    return name;
  };

  app.use("*", async (c, next) => {
    await next();
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
  });
  // an action's form holds a token and an id: a bigger body is refused as it arrives, before
  // anyone is checked, so that a request cannot make the dashboard hold what it sends
  app.post(
    "*",
    bodyLimit({
      maxSize: MAX_ACTION_BODY_BYTES,
      onError: (c) =>
        c.html(
          errorPage(
            context,
            413,
            `Refused: an action's form is at most ${MAX_ACTION_BODY_BYTES} bytes`,
          ),
          413,
        ),
    }),
  );
  // every action: from a page of this origin, and with the token where one is set
  const sameOrigin = csrf();
  app.post("*", async (c, next) => {
    const header = c.req.header(TOKEN_HEADER);
    // a form may be posted from any site, but a header of its own only from the dashboard's
    // origin (no CORS is ever granted): a script sending the header needs no Origin
    if (header === undefined) await sameOrigin(c, () => Promise.resolve());
    const form = header === undefined ? await c.req.parseBody() : {};
    const field = typeof form.token === "string" ? form.token : undefined;
    const peer = (c.env as Partial<Deno.ServeHandlerInfo> | undefined)?.remoteAddr;
    const why = refusal(policy, {
      host: c.req.header("host") ?? new URL(c.req.url).host,
      token: header ?? field,
      peer: peer && "hostname" in peer ? peer.hostname : undefined,
    });
    if (why !== null) return c.html(errorPage(context, 403, `Refused: ${why}`), 403);
    await next();
  });

  app.get("/assets/dashboard.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "max-age=300");
    return c.body(STYLESHEET);
  });
  app.get("/assets/dashboard.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "max-age=300");
    return c.body(SCRIPT);
  });

  app.get("/", async (c) => c.html(await queuesPage(context, notice(c))));
  app.get("/queues/:queue", async (c) => {
    const name = queueParam(c.req.param("queue"));
    const state = c.req.query("state");
    if (state !== undefined && !JOB_STATES.includes(state as JobState)) {
      throw new HttpError(
        400,
        `There is no job state ${state}: use one of ${JOB_STATES.join(", ")}`,
      );
    }
    const after = Number(c.req.query("after") ?? 0);
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new HttpError(
        400,
        `Cannot start a page after ${c.req.query("after")}: follow a Next page link`,
      );
    }
    return c.html(await queuePage(context, name, { state: state as JobState, after }, notice(c)));
  });
  app.get("/queues/:queue/jobs", (c) => {
    const name = queueParam(c.req.param("queue"));
    const id = (c.req.query("id") ?? "").trim();
    if (id === "") return c.redirect(`${base}/queues/${name}`, 303);
    return c.redirect(`${base}/queues/${name}/jobs/${encodeURIComponent(id)}`, 303);
  });
  app.get("/queues/:queue/jobs/:id", async (c) => {
    const name = queueParam(c.req.param("queue"));
    const id = c.req.param("id");
    void feed.watch([name]).catch(() => {});
    const queue = new Queue(name, { services: context.services });
    const job = await queue.getJob(id).catch((err) => {
      if (err instanceof TypeError) return null; // not an id a job can have
      throw err;
    });
    if (!job) return c.html(jobNotFoundPage(context, name, id), 404);
    // its stored events; none to show when events are disabled
    const events = context.services.config.events.enabled ? await queue.jobEvents(job) : [];
    return c.html(await jobPage(context, job, events, notice(c)));
  });
  app.get("/queues/:queue/dead", async (c) => {
    const name = queueParam(c.req.param("queue"));
    return c.html(await deadPage(context, name, notice(c)));
  });
  app.get("/schedules", async (c) => {
    const queue = c.req.query("queue");
    return c.html(await schedulesPage(context, queue && queueParam(queue), notice(c)));
  });
  app.get("/workers", async (c) => {
    const queue = c.req.query("queue");
    return c.html(await workersPage(context, queue && queueParam(queue)));
  });
  app.get("/live", (c) => {
    const queue = c.req.query("queue");
    if (queue) queueParam(queue);
    return liveStream(c, feed, { queue, jobId: c.req.query("job") }, closing);
  });
  addActions(app, context);

  app.notFound((c) =>
    c.html(errorPage(context, 404, `Nothing at ${new URL(c.req.url).pathname}`), 404)
  );
  app.onError((err, c) => {
    // hono's own refusals (csrf(): a form posted from another origin) carry their status
    const status = err instanceof HttpError || err instanceof HTTPException
      ? err.status
      : isNaqError(err, ErrorCode.NotFound)
      ? 404
      : isNaqError(err, ErrorCode.Conflict)
      ? 409
      : err instanceof TypeError || err instanceof RangeError
      ? 400
      : 500;
    const message = err instanceof HTTPException && status === 403
      ? "Refused: an action must come from a page of this dashboard, not another site"
      : err.message;
    return c.html(errorPage(context, status, message), status as 400);
  });
  return app;
}

/** The most an action's posted form may hold: a token and a job id, with room to spare. */
const MAX_ACTION_BODY_BYTES = 16 * 1024;

/** An error that is the answer to the request, with its HTTP status. */
class HttpError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}
