/**
 * One queue: its counts per state, charts, pause switch, a search by job id, and one page of
 * its jobs in one state (read alone, however many the queue holds).
 *
 * @module
 */
import { html } from "hono/html";
import { JOB_STATES, type JobState } from "../../core/job.ts";
import { Queue } from "../../queue.ts";
import { JobService } from "../../services/business/jobs/job_service.ts";
import type { DashboardContext } from "../context.ts";
import { actionButton, type Markup, page } from "../layout.ts";
import { activityCharts } from "./activity_charts.ts";
import { jobTable } from "./job_rows.ts";

/** Jobs per page. */
export const PAGE_SIZE = 50;

/** Which page of which state the queue page shows. */
export interface QueuePageQuery {
  /** The state listed; `waiting` when not given. */
  readonly state?: JobState;
  /** Where the page starts: the `next` of the one before. */
  readonly after?: number;
}

/** Renders a queue's page. */
export async function queuePage(
  context: DashboardContext,
  name: string,
  query: QueuePageQuery,
  notice?: string,
): Promise<Markup> {
  const { services, base } = context;
  const queue = new Queue(name, { services });
  const state = query.state ?? "waiting";
  void context.feed.watch([name]).catch(() => {});
  const [stats, paused, listed] = await Promise.all([
    queue.stats(),
    queue.isPaused(),
    services.get(JobService).then((jobs) =>
      jobs.listJobPage(name, { state, after: query.after ?? 0, limit: PAGE_SIZE })
    ),
  ]);
  const now = services.clock.now();
  const href = `${base}/queues/${encodeURIComponent(name)}`;
  const tabs = JOB_STATES.map((one) =>
    html`
      <a href="${href}?state=${one}" data-state="${one}"
        ${one === state
          ? html`
            class="current" aria-current="page"
          `
          : ""}>${one} <span class="count">${stats[one]}</span></a>
    `
  );
  const pager = html`<p class="pager">${
    query.after
      ? html`
        <a href="${href}?state=${state}">First page</a>
      `
      : ""
  }${
    listed.next === null
      ? ""
      : html`<a id="next-page" href="${href}?state=${state}&after=${listed.next}">Next page</a>`
  }</p>`;
  return page(
    { title: name, base, policy: context.policy, live: `${base}/live?queue=${name}`, notice },
    html`<h1>Queue ${name} ${
      paused
        ? html`<span class="pill paused" id="queue-state">paused</span>`
        : html`<span class="pill" id="queue-state">running</span>`
    }</h1>
<p>${
      paused
        ? actionButton(context, `${href}/resume`, "Resume")
        : actionButton(context, `${href}/pause`, "Pause", {}, `Pause queue ${name}?`)
    }
<a href="${href}/dead">Dead letters</a> · <a href="${base}/schedules?queue=${name}">Schedules</a> · <a href="${base}/workers?queue=${name}">Workers</a></p>
<form method="get" action="${href}/jobs" role="search">
  <input type="search" name="id" placeholder="Job id" aria-label="Job id" required>
  <button type="submit">Find</button>
</form>
<h2>Last hour</h2>
${activityCharts(context.feed.activity.series(name, now))}
<h2>Jobs</h2>
<p class="tabs">${tabs}</p>
${jobTable(listed.jobs, (job) => `${href}/jobs/${encodeURIComponent(job.id)}`, now)}
${pager}`,
  );
}
