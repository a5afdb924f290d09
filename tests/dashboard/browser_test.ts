/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) over a real
 * nats-server with jobs in every state. One browser and one page for the whole file: the
 * steps run in order, each on the state the one before left.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { JOB_STATES } from "../../src/core/job.ts";
import { TOKEN_HEADER } from "../../src/dashboard/mod.ts";
import { waitFor } from "../helpers/config.ts";
import { consumerState } from "../queue/_setup.ts";
import { launchBrowser } from "./_browser.ts";
import { BACKLOG, HOSTILE, setupDashboard, TOKEN } from "./_setup.ts";

// a bound on a step that has failed already, generous for a loaded machine
const STEP_MS = 30_000;

Deno.test("the dashboard in a browser", async (t) => {
  await using env = await setupDashboard();
  await using browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  const base = env.dashboard.url.replace(/\/$/, "");
  const open = async (path: string) => {
    const response = await page.goto(`${base}${path}`);
    assert.equal(response?.status(), 200, `GET ${path}`);
  };
  // every confirmation is accepted, but where a step says otherwise
  let confirmations: "accept" | "dismiss" = "accept";
  page.on("dialog", (dialog) => void dialog[confirmations]());
  /** Clicks the button that posts to `action`, accepting its confirmation if it asks one. */
  const act = async (action: string) => {
    await Promise.all([
      page.waitForURL((url) => url.searchParams.has("notice")),
      page.click(`form[action="${action}"] button`),
    ]);
  };

  await t.step("the queues page counts every state as stats() does", async () => {
    await open("/");
    for (const queue of [env.jobs, env.backlog]) {
      const stats = await queue.stats();
      for (const state of JOB_STATES) {
        const cell = page.locator(`tr[data-queue="${queue.name}"] td[data-state="${state}"]`);
        assert.equal(await cell.textContent(), String(stats[state]), `${queue.name} ${state}`);
      }
    }
    const jobs = await env.jobs.stats();
    for (const state of JOB_STATES.filter((state) => state !== "waiting")) {
      assert.ok(jobs[state] > 0, `queue jobs has a job ${state}`);
    }
    assert.equal((await env.backlog.stats()).waiting, BACKLOG);
    assert.match(await page.locator(".chart-total").first().textContent() ?? "", /completed/);
    // saves the token, for the actions of later steps (the page keeps it for the session)
    await page.fill("#token", TOKEN);
  });

  await t.step("a queue's page lists a state's jobs a page at a time", async () => {
    await open("/queues/backlog?state=waiting");
    const first = await page.locator("#jobs tbody tr").count();
    assert.equal(first, 50);
    assert.equal(
      await page.locator(`tr[data-job="${env.ids.waiting}"]`).count(),
      1,
      "the oldest job comes first",
    );
    await page.click("#next-page");
    assert.equal(await page.locator("#jobs tbody tr").count(), BACKLOG - 50);
    assert.equal(await page.locator("#next-page").count(), 0, "the last page has no next");
    for (const state of JOB_STATES.filter((state) => state !== "waiting")) {
      await open(`/queues/jobs?state=${state}`);
      const listed = await page.locator("#jobs tbody tr").count();
      assert.equal(listed, (await env.jobs.stats())[state], `jobs ${state}`);
      assert.equal(await page.locator(`tr[data-job="${env.ids[state]}"]`).count(), 1, state);
    }
  });

  await t.step("a job is found by its id", async () => {
    await open("/queues/jobs");
    await page.fill('input[name="id"]', env.ids.completed);
    await Promise.all([page.waitForURL(/\/jobs\//), page.click('form[role="search"] button')]);
    assert.equal(await page.textContent("#job-id"), env.ids.completed);
    assert.equal(await page.getAttribute("#job-state", "data-state"), "completed");
    assert.match(await page.textContent("#result") ?? "", /"echoed"/);
    const payload = JSON.parse(await page.textContent("#payload") ?? "null");
    assert.deepEqual(payload, { hello: "world", html: HOSTILE }, "the payload, as text");

    await open("/queues/jobs");
    await page.fill('input[name="id"]', "no-such-job");
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.url().includes("/jobs/no-such-job")),
      page.click('form[role="search"] button'),
    ]);
    assert.equal(response.status(), 404);
    assert.equal(await page.locator("#not-found").count(), 1);
  });

  await t.step("a dead job's page shows its error and stack, escaped", async () => {
    await open(`/queues/jobs/jobs/${env.ids.dead}`);
    assert.equal(await page.getAttribute("#job-state", "data-state"), "dead");
    const message = await page.textContent("#errors .error-message") ?? "";
    assert.ok(message.includes(HOSTILE), `the error as text: ${message}`);
    assert.match(await page.locator("#errors .stack").textContent() ?? "", /first run fails/);
    const timeline = await page.locator("#timeline tbody td:nth-child(2)").allTextContents();
    assert.deepEqual(timeline.filter((type) => type === "enqueued").length, 1, `${timeline}`);
    assert.ok(timeline.includes("dead"), `${timeline}`);
    assert.equal(await page.evaluate("window.pwned"), undefined, "no markup of a job ran");
  });

  await t.step("retrying a dead job from its page runs it to completion", async () => {
    await act(`/queues/jobs/jobs/${env.ids.dead}/retry`);
    // the page redraws itself when the job's events arrive
    await page.waitForSelector('#job-state[data-state="completed"]');
    assert.equal((await env.jobs.getJob(env.ids.dead))?.state, "completed");
    assert.match(await page.textContent("#result") ?? "", /fine the second time/);
  });

  await t.step("dead letters: retry all and purge, each once confirmed", async () => {
    const more = await Promise.all(
      [1, 2].map((n) => env.jobs.enqueue("flaky", { n }, { attempts: 1 })),
    );
    await Promise.all(more.map((job) => job.result({ timeout: "30s" }).catch(() => {})));
    await open("/queues/jobs/dead");
    assert.equal(await page.textContent("#dead-count"), "2");
    assert.equal(await page.locator("#dead-letters tbody tr").count(), 2);
    await act("/queues/jobs/dead/retry-all");
    assert.deepEqual(
      await Promise.all(more.map((job) => job.result({ timeout: "30s" }))),
      ["fine the second time", "fine the second time"],
    );
    const last = await env.jobs.enqueue("flaky", {}, { attempts: 1 });
    await last.result({ timeout: "30s" }).catch(() => {});
    await open("/queues/jobs/dead");
    assert.equal(await page.textContent("#dead-count"), "1");
    // a confirmation declined sends nothing
    confirmations = "dismiss";
    await page.click('form[action="/queues/jobs/dead/purge"] button');
    confirmations = "accept";
    assert.equal(await env.jobs.deadLetters().then((letters) => letters.length), 1);
    await act("/queues/jobs/dead/purge");
    assert.equal(await page.textContent("#dead-count"), "0");
    assert.equal((await env.jobs.deadLetters()).length, 0);
  });

  await t.step("schedules: next instants and last job; pause, resume, remove", async () => {
    await env.jobs.schedule("hourly", "echo", { from: "schedule" }, { every: "1h" });
    await open("/schedules");
    const row = page.locator('tr[data-schedule="jobs/hourly"]');
    const next = await row.locator("td.next").innerText();
    assert.equal(next.trim().split("\n").length, 3, `three instants: ${next}`);
    assert.match(next, /UTC/);
    await act("/queues/jobs/schedules/hourly/pause");
    assert.equal((await env.jobs.getSchedule("hourly"))?.paused, true);
    assert.match(await row.innerText(), /paused/);
    await act("/queues/jobs/schedules/hourly/resume");
    assert.equal((await env.jobs.getSchedule("hourly"))?.paused, false);
    await act("/queues/jobs/schedules/hourly/remove");
    assert.equal(await env.jobs.getSchedule("hourly"), null);
    assert.equal(await page.locator('tr[data-schedule="jobs/hourly"]').count(), 0);
  });

  await t.step("the workers page", async () => {
    // the test's one worker, from the registry, with the gated job it runs (as of its latest
    // heartbeat, which may come after the job started)
    const rows = page.locator("#workers tr[data-worker]");
    await waitFor("the worker's running job on the workers page", async () => {
      await open("/workers");
      return (await rows.count()) === 1 &&
        (await rows.first().textContent())!.includes(env.ids.active);
    });
    const row = (await rows.first().textContent())!;
    assert.match(row, /\bworker\b/);
    assert.match(row, new RegExp(`${env.ids.active}\\s+gated`));
  });

  await t.step("pausing a queue from its page stops its workers taking jobs", async () => {
    await open("/queues/jobs");
    await act("/queues/jobs/pause");
    assert.equal(await page.textContent("#queue-state"), "paused");
    // with slots free a worker keeps a pull open, unless it saw the pause
    await waitFor(
      "the worker to stop asking for jobs",
      async () => (await consumerState(env.server))?.num_waiting === 0,
    );
    const held = await env.jobs.enqueue("echo", { held: true });
    const consumer = (await consumerState(env.server))!;
    assert.equal(consumer.num_pending, 1, "the job was not delivered");
    assert.equal((await env.jobs.getJob(held.id))?.state, "waiting");
    await act("/queues/jobs/resume");
    assert.equal(await page.textContent("#queue-state"), "running");
    assert.deepEqual(await held.result({ timeout: "30s" }), { echoed: { held: true } });
  });

  await t.step("an action without the token is refused", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/queues/jobs/pause`, {
        method: "POST",
        headers: { Origin: new URL(base).origin, ...headers },
      });
    const refused = await post({});
    assert.equal(refused.status, 403);
    assert.match(
      await refused.text(),
      /needs the dashboard&#39;s token|needs the dashboard's token/,
    );
    const wrong = await post({ [TOKEN_HEADER]: "not-it" });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    assert.equal(await env.jobs.isPaused(), false, "nothing was paused");
    // and an action is never a GET
    const get = await fetch(`${base}/queues/jobs/pause`);
    assert.equal(get.status, 404);
    await get.body?.cancel();
    // the right token, from another origin (a page elsewhere posting a form): refused
    const crossSite = await fetch(`${base}/queues/jobs/pause`, {
      method: "POST",
      headers: {
        Origin: "http://evil.example",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: `token=${TOKEN}`,
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    assert.equal(await env.jobs.isPaused(), false, "nothing was paused");
  });

  await t.step("a page redraws itself when events of what it shows arrive", async () => {
    await open(`/queues/backlog/jobs/${env.ids.waiting}`);
    assert.equal(await page.getAttribute("#job-state", "data-state"), "waiting");
    // the page's stream is open once the server said it is ready
    await page.waitForSelector(`html[data-live="ready"]`);
    assert.equal(await env.backlog.cancel(env.ids.waiting), true);
    await page.waitForSelector('#job-state[data-state="cancelled"]');
  });

  await t.step("no page ran markup from a job, and no script failed", async () => {
    assert.equal(await page.evaluate("window.pwned"), undefined);
    assert.deepEqual(errors, []);
  });

  if (Deno.env.get("NAQ_SCREENSHOT") === "1") {
    await t.step("a screenshot for the README", async () => {
      await screenshot(page, `${base}/queues/jobs?state=completed`);
    });
  }
  env.release();
});

async function screenshot(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const path = new URL("../../docs/dashboard.png", import.meta.url).pathname;
  await Deno.mkdir(new URL("../../docs/", import.meta.url), { recursive: true });
  await page.screenshot({ path, type: "png" });
}
