import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq } from "./_naq.ts";

// Each step has a queue of its own, so that what one step leaves (or fails to make) is not
// what the next one sees; the step that lists every queue's schedules has a server of its own.
Deno.test("naq schedules", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const naq = (...args: string[]) => runNaq(server.url, args);
  /** Adds, through the API, the schedules that the add step makes with the CLI. */
  const seedSchedules = async (reports: Queue) => {
    await reports.schedule("nightly", "backup", { full: true }, {
      cron: "0 2 * * *",
      tz: "Europe/Paris",
    }, { missed: "skip" });
    return await reports.schedule("tick", "ping", null, { every: 30_000 }, { repeat: 3 });
  };

  await t.step("add creates a cron or an every schedule and says when it fires next", async () => {
    const reports = new Queue("reports", { services });
    const cron = await naq(
      "schedules",
      "add",
      "reports",
      "nightly",
      "backup",
      '{"full":true}',
      "--cron",
      "0 2 * * *",
      "--tz",
      "Europe/Paris",
      "--missed",
      "skip",
    );
    assert.equal(cron.code, 0, cron.stderr);
    assert.match(
      cron.stdout,
      /^Schedule nightly in queue reports fires backup cron "0 2 \* \* \*" Europe\/Paris; next at \S+Z\n$/,
    );
    const stored = await reports.getSchedule("nightly");
    assert.deepEqual(stored?.payload, { full: true });
    assert.equal(stored?.missed, "skip");
    const paris = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Paris",
      hour: "2-digit",
      minute: "2-digit",
    });
    assert.equal(paris.format(stored!.nextRunAt!), "02:00");
    const every = await naq(
      "schedules",
      "add",
      "reports",
      "tick",
      "ping",
      "--every",
      "30s",
      "--repeat",
      "3",
      "--json",
    );
    assert.equal(every.code, 0, every.stderr);
    const record = JSON.parse(every.stdout);
    assert.deepEqual(record.timing, { every: 30_000 });
    assert.equal(record.repeat, 3);
  });

  await t.step("list shows every schedule; --json an array", async () => {
    await using own = await startNatsServer();
    await using ownServices = new ServiceManager(testConfig(own.url));
    await seedSchedules(new Queue("reports", { services: ownServices }));
    await new Queue("alerts", { services: ownServices }).schedule("page", "call", null, {
      every: 60_000,
    });
    const list = await runNaq(own.url, ["schedules", "list"]);
    assert.equal(list.code, 0);
    const [header, ...rows] = list.stdout.trimEnd().split("\n");
    assert.match(header, /^QUEUE\s+ID\s+TASK\s+TIMING\s+STATE\s+NEXT\s+FIRINGS$/);
    assert.equal(rows.length, 3, list.stdout);
    assert.match(
      rows[0],
      /^alerts\s+page\s+call\s+every 1m\s+active\s+(in \d+[smh]|just now|\d+s ago)\s+0$/,
    );
    assert.match(
      rows[1],
      /^reports\s+nightly\s+backup\s+cron "0 2 \* \* \*" Europe\/Paris\s+active\s+(in \d+[smh]|just now|\d+s ago)\s+0$/,
    );
    assert.match(
      rows[2],
      /^reports\s+tick\s+ping\s+every 30s\s+active\s+(in \d+[smh]|just now|\d+s ago)\s+0$/,
    );
    const json = JSON.parse(
      (await runNaq(own.url, ["schedules", "list", "reports", "--json"])).stdout,
    );
    assert.deepEqual(json.map((s: { id: string }) => s.id), ["nightly", "tick"]);
    const none = await runNaq(own.url, ["schedules", "list", "other"]);
    assert.equal(none.stdout, "No schedules in queue other\n");
  });

  await t.step("pause, resume and show", async () => {
    const reports = new Queue("reports-pause", { services });
    const created = await seedSchedules(reports);
    const paused = await naq("schedules", "pause", "reports-pause", "tick");
    assert.equal(paused.stdout, "Schedule tick in queue reports-pause is paused\n");
    assert.equal((await reports.getSchedule("tick"))?.paused, true);
    assert.equal((await reports.getSchedule("nightly"))?.paused, false);
    const show = await naq("schedules", "show", "reports-pause", "tick");
    assert.match(show.stdout, /^state\s+paused$/m);
    assert.match(show.stdout, /^repeat\s+3$/m);
    const resumed = await naq("schedules", "resume", "reports-pause", "tick", "--json");
    assert.equal(JSON.parse(resumed.stdout).paused, false);
    const shown = await naq("schedules", "show", "reports-pause", "tick", "--json");
    // created, paused, resumed: a version each
    assert.equal(JSON.parse(shown.stdout).version, created.version + 2);
  });

  await t.step("remove deletes it; an unknown id exits 1 and says where to look", async () => {
    const reports = new Queue("reports-remove", { services });
    await seedSchedules(reports);
    const removed = await naq("schedules", "remove", "reports-remove", "tick");
    assert.equal(removed.stdout, "Removed schedule tick from queue reports-remove\n");
    assert.equal(await reports.getSchedule("tick"), null);
    assert.notEqual(await reports.getSchedule("nightly"), null, "the other one stays");
    const again = await naq("schedules", "remove", "reports-remove", "tick");
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      "naq: Schedule tick is not in queue reports-remove; naq schedules list reports-remove " +
        "shows its schedules\n",
    );
    assert.equal((await naq("schedules", "pause", "reports-remove", "tick")).code, 1);
  });

  await t.step("bad input: no timing, a bad cron or a bad time zone is usage (2)", async () => {
    const none = await naq("schedules", "add", "reports-usage", "x", "t");
    assert.equal(none.code, 2);
    assert.equal(none.stderr, "naq: give either --cron <pattern> or --every <duration>\n");
    const tz = await naq(
      "schedules",
      "add",
      "reports-usage",
      "x",
      "t",
      "--every",
      "1m",
      "--tz",
      "UTC",
    );
    assert.equal(tz.code, 2);
    const cron = await naq("schedules", "add", "reports-usage", "x", "t", "--cron", "61 * * * *");
    assert.equal(cron.code, 2);
    assert.equal(
      cron.stderr,
      'naq: Cannot schedule with cron "61 * * * *": Invalid value for minute: 61; write five ' +
        "fields (minute hour day month weekday), or six with seconds first, such as " +
        '"0 9 * * 1-5"\n',
    );
    const zone = await naq(
      "schedules",
      "add",
      "reports-usage",
      "x",
      "t",
      "--cron",
      "0 9 * * *",
      "--tz",
      "Mars/Olympus",
    );
    assert.equal(zone.code, 2);
    assert.equal(
      zone.stderr,
      'naq: Cannot schedule with cron "0 9 * * *" in time zone "Mars/Olympus": it is not a ' +
        'time zone; use an IANA name such as "Europe/Paris", "America/New_York" or "UTC"\n',
    );
    assert.doesNotMatch(zone.stderr, /Original error/);
    const missed = await naq(
      "schedules",
      "add",
      "reports-usage",
      "x",
      "t",
      "--every",
      "1m",
      "--missed",
      "all",
    );
    assert.equal(missed.code, 2);
    assert.match(missed.stderr, /Allowed choices are once, skip/);
  });
});
