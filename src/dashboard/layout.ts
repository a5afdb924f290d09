/**
 * The frame of every page: its head, navigation, token box and the live-update hook.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AccessPolicy } from "./access.ts";

/** Markup as the `html` template returns it. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What a page puts in the frame. */
export interface PageOptions {
  /** The page's title, after "naq". */
  readonly title: string;
  /** The dashboard's base path, such as `/naq`, or `""`. */
  readonly base: string;
  /** Whether actions need a token box, or are refused. */
  readonly policy: AccessPolicy;
  /** The server-sent events whose arrival redraws the content; none for a still page. */
  readonly live?: string;
  /** A message about the action just taken. */
  readonly notice?: string;
  /** Whether to list the events as they arrive, beside the content. */
  readonly liveList?: boolean;
}

/** A whole page around `content`. */
export function page(options: PageOptions, content: Markup): Markup {
  const { base, policy } = options;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>naq · ${options.title}</title>
        <link rel="stylesheet" href="${base}/assets/dashboard.css">
        <script src="${base}/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
      <span class="brand">naq</span>
      <nav><a href="${base}/">Queues</a><a href="${base}/schedules">Schedules</a><a href="${base}/workers">Workers</a></nav>
      ${policy.readOnly ? html`<span class="token muted">read-only</span>` : policy.token
        ? html`
          <label
            class="token">Token <input id="token" type="password" autocomplete="off" placeholder="to take actions"></label>
        `
        : ""}
        </header>
        <main${options.live
          ? html`
            data-live="${options.live}"
          `
          : ""}>
    ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ""}
    ${content}
    </main>
    ${options.liveList
      ? html`
        <aside style="padding: 0 1.2rem">
          <h2>Live events</h2>
          <ul id="live-events" class="live"></ul>
        </aside>
      `
      : ""}
    </body>
    </html>
  `;
}

/**
 * A button that posts an action, or nothing when the dashboard is read-only.
 *
 * @param confirm the question asked before it is sent, for actions that cannot be undone
 */
export function actionButton(
  options: { readonly policy: AccessPolicy },
  action: string,
  label: string,
  fields: Record<string, string> = {},
  confirm?: string,
  danger = false,
): Markup {
  if (options.policy.readOnly) return html``;
  return html`
    <form class="inline" method="post" action="${action}"
      ${confirm
        ? html`
          data-confirm="${confirm}"
        `
        : ""}>${Object.entries(fields).map(([name, value]) =>
          html`<input type="hidden" name="${name}" value="${value}">`
        )}<button type="submit"${danger
        ? html`
          class="danger"
        `
        : ""}>${label}</button></form>
  `;
}
