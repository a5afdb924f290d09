/**
 * A table of jobs, as the queue page lists one state's page of them.
 *
 * @module
 */
import { html } from "hono/html";
import type { JobRecord } from "../../core/job.ts";
import { formatAgo, formatTime } from "../format.ts";
import type { Markup } from "../layout.ts";

/** The jobs as table rows, each linking to its page. */
export function jobTable(
  jobs: readonly JobRecord[],
  href: (job: JobRecord) => string,
  now: number,
): Markup {
  if (jobs.length === 0) return html`<p class="muted" id="no-jobs">No jobs on this page.</p>`;
  return html`
    <table id="jobs">
      <thead>
        <tr>
          <th>Id</th>
          <th>Task</th>
          <th>State</th>
          <th class="num">Attempt</th>
          <th>Enqueued</th>
          <th>When</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>${jobs.map((job) =>
        html`
          <tr data-job="${job.id}">
            <td><a href="${href(job)}">${job.id}</a></td>
            <td>${job.task}</td>
            <td><span class="pill ${job.state}">${job.state}</span></td>
            <td class="num">${job.attempt}/${job.options.attempts}</td>
            <td title="${formatTime(job.enqueuedAt)}">${formatAgo(job.enqueuedAt, now)}</td>
            <td>${when(job, now)}</td>
            <td>${job.errors.at(-1)?.message ?? ""}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function when(job: JobRecord, now: number): string {
  switch (job.state) {
    case "delayed":
      return `due ${formatAgo(job.runAt, now)}`;
    case "failed":
      return `retry ${formatAgo(job.retryAt, now)}`;
    case "active":
      return job.startedAt === undefined ? "running" : `started ${formatAgo(job.startedAt, now)}`;
    case "completed":
    case "dead":
    case "cancelled":
      return `${job.state} ${formatAgo(job.finishedAt, now)}`;
    default:
      return "";
  }
}
