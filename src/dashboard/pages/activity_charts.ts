/**
 * The two charts of a queue (or of all): jobs completed and attempts failed per minute, and
 * the share of attempts that failed, over the last hour.
 *
 * @module
 */
import { html } from "hono/html";
import { type ActivitySeries, failureRates } from "../activity.ts";
import { barChart } from "../chart.ts";
import type { Markup } from "../layout.ts";

const MINUTE_MS = 60_000;

/** Renders the throughput and failure-rate charts of `series`. */
export function activityCharts(series: ActivitySeries): Markup {
  const completed = series.completed.reduce((a, b) => a + b, 0);
  const failed = series.failed.reduce((a, b) => a + b, 0);
  const rate = completed + failed === 0 ? null : failed / (completed + failed);
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  return html`
    <div class="charts">
      <figure>${barChart([
        { values: series.completed, className: "completed", label: "completed" },
        { values: series.failed, className: "failed", label: "failed" },
      ], {
        title: "Throughput per minute",
        start: series.start,
        stepMs: MINUTE_MS,
        summary: `${completed} completed, ${failed} failed attempts in the last hour`,
      })}</figure>
      <figure>${barChart([{ values: failureRates(series), className: "rate", label: "failed" }], {
        title: "Failure rate per minute",
        start: series.start,
        stepMs: MINUTE_MS,
        max: 1,
        format: percent,
        summary: rate === null
          ? "no attempt ended in the last hour"
          : `${percent(rate)} of attempts failed in the last hour`,
      })}</figure>
    </div>
  `;
}
