/**
 * The first page: every queue with its jobs counted per state (from the server's counters),
 * whether it is paused, and the last hour's throughput and failure rate.
 *
 * @module
 */
import { html } from "hono/html";
import { JOB_STATES } from "../../core/job.ts";
import { Queue } from "../../queue.ts";
import { JobService } from "../../services/business/jobs/job_service.ts";
import type { ActivitySeries } from "../activity.ts";
import type { DashboardContext } from "../context.ts";
import { actionButton, type Markup, page } from "../layout.ts";
import { activityCharts } from "./activity_charts.ts";

/** Renders the queues page. */
export async function queuesPage(context: DashboardContext, notice?: string): Promise<Markup> {
  const { services, base } = context;
  const names = await (await services.get(JobService)).queues();
  void context.feed.watch(names, { known: true }).catch(() => {});
  const rows = await Promise.all(names.map(async (name) => {
    const queue = new Queue(name, { services });
    const [stats, paused] = await Promise.all([queue.stats(), queue.isPaused()]);
    return { name, stats, paused };
  }));
  const now = services.clock.now();
  const all = names.map((name) => context.feed.activity.series(name, now));
  const total: ActivitySeries = {
    start: all[0]?.start ?? context.feed.activity.series("", now).start,
    completed: sumColumns(all.map((series) => series.completed)),
    failed: sumColumns(all.map((series) => series.failed)),
  };
  const table = rows.length === 0
    ? html`<p class="muted">No queues under the prefix ${services.config.prefix} yet.</p>`
    : html`
      <table id="queues">
        <thead>
          <tr><th>Queue</th><th>State</th>${JOB_STATES.map((state) =>
            html`<th class="num">${state}</th>`
          )}<th class="num">Last hour</th><th></th></tr>
        </thead>
        <tbody>${rows.map(({ name, stats, paused }) => {
          const series = context.feed.activity.series(name, now);
          const completed = series.completed.reduce((a, b) => a + b, 0);
          const failed = series.failed.reduce((a, b) => a + b, 0);
          const href = `${base}/queues/${encodeURIComponent(name)}`;
          return html`<tr data-queue="${name}">
<td><a href="${href}">${name}</a></td>
<td>${
            paused
              ? html`<span class="pill paused">paused</span>`
              : html`<span class="pill">running</span>`
          }</td>
${
            JOB_STATES.map((state) =>
              html`
                <td class="num"
                  data-state="${state}"><a href="${href}?state=${state}">${stats[state]}</a></td>
              `
            )
          }
<td class="num">${completed} done, ${failed} failed</td>
<td>${
            paused
              ? actionButton(context, `${href}/resume`, "Resume")
              : actionButton(context, `${href}/pause`, "Pause", {}, `Pause queue ${name}?`)
          }</td>
</tr>`;
        })}</tbody>
      </table>
    `;
  return page(
    { title: "Queues", base, policy: context.policy, live: `${base}/live`, notice, liveList: true },
    html`<h1>Queues</h1>${table}<h2>All queues, last hour</h2>${activityCharts(total)}`,
  );
}

function sumColumns(rows: readonly (readonly number[])[]): number[] {
  const length = Math.max(0, ...rows.map((row) => row.length));
  return Array.from({ length }, (_, i) => rows.reduce((sum, row) => sum + (row[i] ?? 0), 0));
}
