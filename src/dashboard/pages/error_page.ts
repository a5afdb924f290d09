/**
 * The page of a request that could not be answered: refused, not found, or failed.
 *
 * @module
 */
import { html } from "hono/html";
import type { DashboardContext } from "../context.ts";
import { type Markup, page } from "../layout.ts";

/** Renders `message` under a heading that says what kind of error it is. */
export function errorPage(context: DashboardContext, status: number, message: string): Markup {
  const heading = status === 403 ? "Refused" : status === 404 ? "Not found" : "Could not do that";
  return page(
    { title: `Error ${status}`, base: context.base, policy: context.policy },
    html`<h1>${heading}</h1>
<p class="notice error" id="error">${message}</p>
<p><a href="${context.base}/">Back to the queues</a></p>`,
  );
}
