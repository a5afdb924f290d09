/**
 * One job: its record (payload, options, attempts, each error with its stack, progress,
 * result) and its timeline.
 *
 * @module
 */
import { html } from "hono/html";
import { isFinished, type JobRecord } from "../../core/job.ts";
import type { JobEvent } from "../../core/job_event.ts";
import type { DashboardContext } from "../context.ts";
import { formatJson, formatTime } from "../format.ts";
import { actionButton, type Markup, page } from "../layout.ts";
import { jobTimeline } from "../timeline.ts";

/**
 * Renders a job's page.
 *
 * @param events what is known to have happened to the job, for its timeline
 */
export function jobPage(
  context: DashboardContext,
  job: JobRecord,
  events: readonly JobEvent[],
  notice?: string,
): Markup {
  const { base } = context;
  const queueHref = `${base}/queues/${encodeURIComponent(job.queue)}`;
  const href = `${queueHref}/jobs/${encodeURIComponent(job.id)}`;
  const timeline = jobTimeline(job, events);
  const fields: [string, Markup | string][] = [
    ["Queue", html`<a href="${queueHref}">${job.queue}</a>`],
    ["Task", job.task],
    [
      "State",
      html`<span class="pill ${job.state}" id="job-state" data-state="${job.state}">${job.state}</span>`,
    ],
    ["Attempt", `${job.attempt} of ${job.options.attempts}`],
    ["Enqueued", formatTime(job.enqueuedAt)],
  ];
  if (job.schedule) {
    fields.push(["Schedule", `${job.schedule.id}, for ${formatTime(job.schedule.at)}`]);
  }
  if (job.state === "delayed") fields.push(["Due", formatTime(job.runAt)]);
  if (job.state === "failed") fields.push(["Retry at", formatTime(job.retryAt)]);
  if (job.startedAt !== undefined) fields.push(["Started", formatTime(job.startedAt)]);
  if (job.worker) fields.push(["Worker", job.worker]);
  if (isFinished(job)) fields.push(["Finished", formatTime(job.finishedAt)]);
  if (job.state === "dead") fields.push(["Why dead", job.deadReason]);
  const actions = [
    job.state === "dead"
      ? actionButton(context, `${href}/retry`, "Retry", {}, `Run job ${job.id} again?`)
      : "",
    isFinished(job)
      ? ""
      : actionButton(context, `${href}/cancel`, "Cancel", {}, `Cancel job ${job.id}?`, true),
  ];
  return page(
    {
      title: `Job ${job.id}`,
      base,
      policy: context.policy,
      live: `${base}/live?queue=${job.queue}&job=${job.id}`,
      notice,
    },
    html`
      <h1>Job <span id="job-id">${job.id}</span></h1>
      <p>${actions}</p>
      <dl class="fields">${fields.map(([name, value]) =>
        html`
          <dt>${name}</dt>
          <dd>${value}</dd>
        `
      )}</dl>
      <h2>Payload</h2><pre id="payload">${formatJson(job.payload)}</pre>
      <h2>Options</h2><pre id="options">${formatJson(job.options)}</pre>
      ${job.progress === undefined ? "" : html`
        <h2>Progress</h2>
        <pre id="progress">${formatJson(job.progress)}</pre>
      `}
      ${job.state === "completed"
        ? html`
          <h2>Result</h2>
          <pre id="result">${formatJson(job.result)}</pre>
        `
        : ""}
      <h2>Errors</h2>
      ${job.errors.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ol id="errors">${
          job.errors.map((error) =>
            html`<li><strong>Attempt ${error.attempt}</strong>, ${
              formatTime(error.at)
            }, on ${error.worker}:
<code class="error-message">${error.name}: ${error.message}</code>
${
              error.stack
                ? html`
                  <details>
                    <summary>Stack</summary>
                    <pre class="stack">${error.stack}</pre>
                  </details>
                `
                : ""
            }</li>`
          )
        }</ol>`}
      <h2>Timeline</h2>
      <table id="timeline">
        <thead>
          <tr>
            <th>When</th>
            <th>What</th>
            <th class="num">Attempt</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>${timeline.map((entry) =>
          html`
            <tr class="${entry.source}">
              <td>${formatTime(entry.at)}</td>
              <td>${entry.type}</td>
              <td class="num">${entry.attempt}</td>
              <td>${entry.detail ?? ""}</td>
            </tr>
          `
        )}</tbody>
      </table>
      <p
        class="muted">Read off the job's record, with its events that the events stream holds.</p>
    `,
  );
}

/** Renders the page of a job id not found in a queue. */
export function jobNotFoundPage(context: DashboardContext, queue: string, id: string): Markup {
  const { base } = context;
  return page(
    { title: "Job not found", base, policy: context.policy },
    html`
      <h1>Job not found</h1>
      <p class="notice error"
        id="not-found">Queue <a href="${base}/queues/${queue}">${queue}</a> has no job ${id}: it never had one, or its record expired (results.ttl).</p>
    `,
  );
}
