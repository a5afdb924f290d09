/**
 * The page's stylesheet and its one small script, served by the dashboard itself: nothing to
 * build or fetch, and they travel inside `deno compile` and a JSR package as code does.
 *
 * @module
 */

/** The stylesheet. */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1d2430; --muted: #667085; --bg: #fff; --line: #d9dee7;
  --accent: #2f6fde; --ok: #2e9d5b; --bad: #d24b43; --warn: #c98a12; --panel: #f6f8fb; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e8ef; --muted: #98a2b3; --bg: #14181f;
  --line: #2c3340; --panel: #1b2029; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.2rem; align-items: center; padding: .6rem 1.2rem;
  border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 700; }
header nav a { margin-right: 1rem; }
header .token { margin-left: auto; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: var(--panel); padding: .6rem; border-radius: 4px; overflow: auto;
  max-height: 24rem; margin: .2rem 0; white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
.pill { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8rem;
  border: 1px solid var(--line); }
.pill.completed { color: var(--ok); } .pill.dead, .pill.failed { color: var(--bad); }
.pill.paused { color: var(--warn); border-color: var(--warn); }
.tabs a { margin-right: .8rem; } .tabs a.current { font-weight: 700; color: var(--fg); }
form.inline { display: inline; }
button { font: inherit; padding: .2rem .7rem; border: 1px solid var(--line); border-radius: 4px;
  background: var(--bg); color: var(--fg); cursor: pointer; }
button.danger { color: var(--bad); }
input[type=search], input[type=password] { font: inherit; padding: .2rem .4rem;
  border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
.notice { padding: .5rem .8rem; border-radius: 4px; background: var(--panel);
  border-left: 3px solid var(--accent); margin-bottom: 1rem; }
.notice.error { border-color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
svg.chart { width: 100%; height: auto; }
svg.chart .completed { fill: var(--ok); } svg.chart .failed { fill: var(--bad); }
svg.chart .rate { fill: var(--warn); } svg.chart .hit { fill: transparent; }
svg.chart .axis { stroke: var(--line); } svg.chart .tick { fill: var(--muted); font-size: 10px; }
.chart-total { margin: 0; color: var(--muted); font-size: .85rem; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
ul.live { list-style: none; padding: 0; font-family: ui-monospace, monospace; font-size: .8rem;
  max-height: 12rem; overflow: auto; }
`;

/**
 * The script: puts the saved token into every action form, asks each form's confirmation,
 * and redraws the page's content when server-sent events say something changed.
 */
export const SCRIPT = `"use strict";
(() => {
  const KEY = "naq-dashboard-token";
  const box = document.getElementById("token");
  if (box) {
    box.value = sessionStorage.getItem(KEY) || "";
    box.addEventListener("input", () => sessionStorage.setItem(KEY, box.value));
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    let field = form.querySelector("input[name=token]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "token";
      form.append(field);
    }
    field.value = sessionStorage.getItem(KEY) || "";
  });
  const main = document.querySelector("main[data-live]");
  if (!main || !window.EventSource) return;
  const source = new EventSource(main.dataset.live);
  source.addEventListener("ready", () => (document.documentElement.dataset.live = "ready"));
  let pending = false;
  const redraw = async () => {
    pending = false;
    // a field being typed in is not redrawn under the user's hands
    if (main.contains(document.activeElement) && document.activeElement.matches("input")) return;
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("main");
    if (fresh) main.innerHTML = fresh.innerHTML;
  };
  source.addEventListener("jobs", (message) => {
    const list = document.getElementById("live-events");
    if (list) {
      for (const e of JSON.parse(message.data)) {
        const item = document.createElement("li");
        item.textContent = new Date(e.at).toISOString().slice(11, 19) + " " + e.queue + " " +
          e.type + " " + e.jobId + (e.attempt ? " #" + e.attempt : "");
        list.prepend(item);
      }
      while (list.children.length > 50) list.lastElementChild.remove();
    }
    if (pending) return;
    pending = true;
    setTimeout(redraw, 300); // real time, in the browser: one redraw for a burst of events
  });
})();
`;
