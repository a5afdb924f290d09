/**
 * The schedules: when each fires next, its last job, and pause, resume and remove.
 *
 * @module
 */
import { html } from "hono/html";
import { firstInstant, type ScheduleRecord } from "../../core/schedule.ts";
import { Queue } from "../../queue.ts";
import { ScheduleService } from "../../services/business/schedule_service.ts";
import type { DashboardContext } from "../context.ts";
import { formatSpan, formatTime } from "../format.ts";
import { actionButton, type Markup, page } from "../layout.ts";

/** How many coming instants each schedule shows. */
const NEXT_INSTANTS = 3;

/** Renders the schedules, of one queue when `queue` is given. */
export async function schedulesPage(
  context: DashboardContext,
  queue?: string,
  notice?: string,
): Promise<Markup> {
  const { services, base } = context;
  const schedules = await (await services.get(ScheduleService)).list(queue);
  // the last job's state: one read per schedule, of that job only
  const lastJobs = await Promise.all(
    schedules.map((schedule) =>
      schedule.lastJobId
        ? new Queue(schedule.queue, { services }).getJob(schedule.lastJobId).catch(() => null)
        : null
    ),
  );
  const rows = schedules.map((schedule, i) => {
    const queueHref = `${base}/queues/${encodeURIComponent(schedule.queue)}`;
    const href = `${queueHref}/schedules/${encodeURIComponent(schedule.id)}`;
    const last = lastJobs[i];
    return html`
      <tr data-schedule="${schedule.queue}/${schedule.id}">
        <td>${schedule.id}</td>
        <td><a href="${queueHref}">${schedule.queue}</a></td>
        <td>${schedule.task}</td>
        <td>${timingText(schedule)}</td>
        <td>${schedule.paused
          ? html`<span class="pill paused">paused</span>`
          : html`<span class="pill">active</span>`}</td>
        <td class="next">${schedule.paused
          ? html`<span class="muted">paused</span>`
          : nextInstants(schedule).map((at) => html`${formatTime(at)}<br>`)}</td>
        <td class="num">${schedule.firings}</td>
        <td>${schedule.lastJobId
          ? html`<a href="${queueHref}/jobs/${
            encodeURIComponent(schedule.lastJobId)
          }">${schedule.lastJobId}</a>
${last ? html`<span class="pill ${last.state}">${last.state}</span>` : ""}<br><span class="muted">${
            formatTime(schedule.lastRunAt)
          }</span>`
          : html`<span class="muted">none yet</span>`}</td>
        <td>${schedule.paused
          ? actionButton(context, `${href}/resume`, "Resume")
          : actionButton(context, `${href}/pause`, "Pause")} ${actionButton(
            context,
            `${href}/remove`,
            "Remove",
            {},
            `Remove schedule ${schedule.id} of ${schedule.queue}? Jobs it fired stay.`,
            true,
          )}</td>
      </tr>
    `;
  });
  return page(
    { title: "Schedules", base, policy: context.policy, notice },
    html`<h1>Schedules${
      queue
        ? html`
          of <a href="${base}/queues/${queue}">${queue}</a>
        `
        : ""
    }</h1>
${
      schedules.length === 0 ? html`<p class="muted">No schedules.</p>` : html`
        <table id="schedules">
          <thead>
            <tr>
              <th>Id</th>
              <th>Queue</th>
              <th>Task</th>
              <th>Timing</th>
              <th>State</th>
              <th>Next</th>
              <th class="num">Fired</th>
              <th>Last job</th>
              <th></th>
            </tr>
          </thead>
          <tbody>${rows}</tbody>
        </table>
      `
    }`,
  );
}

/** The schedule's next instants, within its bounds. */
export function nextInstants(schedule: ScheduleRecord): number[] {
  const instants: number[] = [];
  let at = schedule.nextRunAt;
  while (at !== null && instants.length < NEXT_INSTANTS) {
    instants.push(at);
    at = firstInstant({ ...schedule, firings: schedule.firings + instants.length }, at + 1);
  }
  return instants;
}

function timingText(schedule: ScheduleRecord): string {
  const { timing } = schedule;
  if ("every" in timing) return `every ${formatSpan(timing.every)}`;
  return `${timing.cron} (${timing.tz ?? "UTC"})`;
}
