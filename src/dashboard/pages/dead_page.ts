/**
 * A queue's dead letters: how many, the oldest page of them, and retry (one or all) and
 * purge, each asked for confirmation.
 *
 * @module
 */
import { html } from "hono/html";
import { Queue } from "../../queue.ts";
import { DeadLetterService } from "../../services/business/dead_letter_service.ts";
import type { DashboardContext } from "../context.ts";
import { formatTime } from "../format.ts";
import { actionButton, type Markup, page } from "../layout.ts";

/** Dead letters shown on the page: the oldest. */
const SHOWN = 50;

/** Renders a queue's dead letters. */
export async function deadPage(
  context: DashboardContext,
  name: string,
  notice?: string,
): Promise<Markup> {
  const { services, base } = context;
  const queue = new Queue(name, { services });
  const [count, letters] = await Promise.all([
    services.get(DeadLetterService).then((dead) => dead.count(name)),
    queue.deadLetters(SHOWN),
  ]);
  const href = `${base}/queues/${encodeURIComponent(name)}`;
  const rows = letters.map((letter) => {
    const job = letter.job;
    return html`
      <tr data-letter="${letter.seq}">
        <td>${job
          ? html`<a href="${href}/jobs/${encodeURIComponent(job.id)}">${job.id}</a>`
          : html`<span class="muted">not a job</span>`}</td>
        <td>${job?.task ?? ""}</td>
        <td>${letter.reason}</td>
        <td>${job?.errors.at(-1)?.message ?? ""}</td>
        <td>${formatTime(letter.at)}</td>
        <td>${job
          ? actionButton(
            context,
            `${href}/dead/retry`,
            "Retry",
            { job: job.id },
            `Run job ${job.id} again?`,
          )
          : ""}</td>
      </tr>
    `;
  });
  return page(
    {
      title: `${name} dead letters`,
      base,
      policy: context.policy,
      live: `${base}/live?queue=${name}`,
      notice,
    },
    html`<h1>Dead letters of <a href="${href}">${name}</a></h1>
<p><span id="dead-count">${count}</span> dead letter${count === 1 ? "" : "s"}${
      count > SHOWN ? html`, the oldest ${SHOWN} shown` : ""
    }.
${
      count > 0
        ? html`${
          actionButton(
            context,
            `${href}/dead/retry-all`,
            "Retry all",
            {},
            `Run all ${count} dead jobs of ${name} again?`,
          )
        }
${
          actionButton(
            context,
            `${href}/dead/purge`,
            "Purge",
            {},
            `Remove all ${count} dead letters of ${name}? This cannot be undone.`,
            true,
          )
        }`
        : ""
    }</p>
${
      letters.length === 0 ? html`<p class="muted">None.</p>` : html`
        <table id="dead-letters">
          <thead>
            <tr>
              <th>Job</th>
              <th>Task</th>
              <th>Reason</th>
              <th>Last error</th>
              <th>Died</th>
              <th></th>
            </tr>
          </thead>
          <tbody>${rows}</tbody>
        </table>
      `
    }`,
  );
}
