/**
 * The live workers and scheduler replicas, from the worker registry, with the jobs each runs.
 *
 * @module
 */
import { html } from "hono/html";
import type { DashboardContext } from "../context.ts";
import { formatAgo } from "../format.ts";
import { type Markup, page } from "../layout.ts";

/** Renders the workers, of one queue when `queue` is given. */
export async function workersPage(context: DashboardContext, queue?: string): Promise<Markup> {
  const { base, services } = context;
  const workers = await context.workers(queue);
  const now = services.clock.now();
  const body = workers.length === 0
    ? html`<p class="muted" id="no-workers">No live worker${
      queue
        ? html`
          takes jobs of ${queue}
        `
        : ""
    }.</p>`
    : html`
      <table id="workers">
        <thead>
          <tr>
            <th>Id</th>
            <th>Kind</th>
            <th>Host</th>
            <th class="num">Pid</th>
            <th>Queues</th>
            <th>Tasks</th>
            <th>State</th>
            <th class="num">Running</th>
            <th>Started</th>
            <th>Heartbeat</th>
            <th>Version</th>
          </tr>
        </thead>
        <tbody>${workers.map((worker) =>
          html`
            <tr data-worker="${worker.id}">
              <td>${worker.id}</td>
              <td>${worker.kind}</td>
              <td>${worker.host}</td>
              <td class="num">${worker.pid}</td>
              <td>${worker.queues.map((name) =>
                html`
                  <a href="${base}/queues/${name}">${name}</a>
                `
              )}</td>
              <td>${worker.tasks.join(", ")}</td>
              <td><span class="pill ${worker.state}">${worker.state}</span></td>
              <td class="num">${worker.running.length}/${worker
                .concurrency}${worker.running.length === 0
                ? ""
                : html`<ul>${
                  worker.running.map((job) =>
                    html`<li><a href="${base}/queues/${job.queue}/jobs/${
                      encodeURIComponent(job.jobId)
                    }">${job.jobId}</a> ${job.task}, ${formatAgo(job.since, now)}</li>`
                  )
                }</ul>`}</td>
              <td>${formatAgo(worker.startedAt, now)}</td>
              <td>${formatAgo(worker.heartbeatAt, now)}</td>
              <td>${worker.version}</td>
            </tr>
          `
        )}</tbody>
      </table>
    `;
  return page(
    {
      title: "Workers",
      base,
      policy: context.policy,
      live: `${base}/live${queue ? `?queue=${queue}` : ""}`,
    },
    html`<h1>Workers${
      queue
        ? html`
          of <a href="${base}/queues/${queue}">${queue}</a>
        `
        : ""
    }</h1>${body}`,
  );
}
