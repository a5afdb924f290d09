/**
 * Small charts drawn on the server as SVG: no script, no library to load in the page, and
 * nothing to build; they are redrawn with the page.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** One series of bars: its values and how it is labelled and coloured. */
export interface BarSeries {
  /** The values, one per bar; `null` draws none. */
  readonly values: readonly (number | null)[];
  /** The CSS class that colours it. */
  readonly className: string;
  /** What one value is, for the tooltip, such as `completed`. */
  readonly label: string;
}

/** How a chart is drawn. */
export interface ChartOptions {
  /** What the chart shows, as its accessible title. */
  readonly title: string;
  /** The start of the first bar, ms since the epoch, and how long each bar spans. */
  readonly start: number;
  /** How long each bar spans, in ms. */
  readonly stepMs: number;
  /** The largest value the axis shows; the largest value when omitted. */
  readonly max?: number;
  /** Formats a value for the axis and the tooltips. */
  readonly format?: (value: number) => string;
  /** A line under the chart, such as the totals. */
  readonly summary: string;
}

const WIDTH = 600;
const HEIGHT = 120;
const AXIS = 40;

/**
 * Stacked bars, one per step, with the axis's top value and a tooltip per bar.
 *
 * @returns an `<svg>` element, every label escaped
 */
export function barChart(
  series: readonly BarSeries[],
  options: ChartOptions,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const format = options.format ?? String;
  const count = Math.max(0, ...series.map((one) => one.values.length));
  const totals = Array.from(
    { length: count },
    (_, i) => series.reduce((sum, one) => sum + (one.values[i] ?? 0), 0),
  );
  const max = options.max ?? Math.max(1, ...totals);
  const barWidth = (WIDTH - AXIS) / Math.max(1, count);
  const bars = [];
  for (let i = 0; i < count; i++) {
    let top = HEIGHT;
    const at = new Date(options.start + i * options.stepMs).toISOString().slice(11, 16);
    const tip = series.map((one) => `${one.label} ${format(one.values[i] ?? 0)}`).join(", ");
    const parts = [];
    for (const one of series) {
      const value = one.values[i];
      if (value === null || value === undefined || value <= 0) continue;
      const height = Math.max(1, (value / max) * (HEIGHT - 4));
      top -= height;
      parts.push(html`
        <rect class="${one.className}" x="${(AXIS + i * barWidth).toFixed(1)}" y="${top.toFixed(
          1,
        )}" width="${Math.max(1, barWidth - 1).toFixed(1)}"
          height="${height.toFixed(1)}"></rect>
      `);
    }
    bars.push(
      html`<g><title>${at} UTC: ${tip}</title>${parts}<rect class="hit" x="${
        (AXIS + i * barWidth).toFixed(1)
      }" y="0" width="${barWidth.toFixed(1)}" height="${HEIGHT}"></rect></g>`,
    );
  }
  return html`
    <svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT + 16}" role="img" aria-label="${options
      .title}">
    <title>${options.title}</title>
    <line class="axis" x1="${AXIS}" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}"></line>
    <text class="tick" x="${AXIS - 4}" y="10" text-anchor="end">${format(max)}</text>
    <text class="tick" x="${AXIS - 4}" y="${HEIGHT}" text-anchor="end">0</text>
    <text class="tick" x="${AXIS}" y="${HEIGHT + 14}">-${count} min</text>
    <text class="tick" x="${WIDTH}" y="${HEIGHT + 14}" text-anchor="end">now</text>
    ${bars}
    </svg>
    <p class="chart-total">${options.summary}</p>
  `;
}
