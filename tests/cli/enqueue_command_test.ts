import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { hasScript, runNaq, runNaqOnTerminal, startFixtureWorker } from "./_naq.ts";
import { inState } from "../helpers/in_state.ts";

// Each step has a queue of its own, so that what one step leaves (or fails to make) is not
// what the next one sees.
Deno.test("naq enqueue", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const startWorker = (queue: string) => startFixtureWorker(services, queue);

  await t.step("stores a job and says so; --json prints its record", async () => {
    const queue = new Queue("mail", { services });
    const plain = await runNaq(server.url, ["enqueue", "mail", "add", '{"a":1,"b":2}']);
    // no worker has taken jobs from it: a typo, or a worker not started yet, deserves a word
    assert.equal(
      plain.stderr,
      "naq: note: no worker has taken jobs from queue mail yet, nor waits for them now; the " +
        "jobs wait until one runs: naq worker mail --tasks <module>\n",
    );
    assert.equal(plain.code, 0);
    const id = plain.stdout.match(/^Enqueued job (\S+) \(task add\) in queue mail\n$/)?.[1];
    assert.ok(id, plain.stdout);
    assert.deepEqual((await queue.getJob(id))?.payload, { a: 1, b: 2 });

    const json = await runNaq(server.url, [
      "enqueue",
      "mail",
      "add",
      "--job-id",
      "given-id",
      "--attempts",
      "7",
      "--timeout",
      "30s",
      "--json",
    ]);
    assert.equal(json.code, 0);
    const record = JSON.parse(json.stdout);
    assert.equal(record.id, "given-id");
    assert.equal(record.state, "waiting");
    assert.equal(record.payload, null);
    assert.equal(record.options.attempts, 7);
    assert.equal(record.options.timeoutMs, 30_000);
  });

  await t.step("a --job-id known already is said to be, a waiting job's too", async () => {
    const args = ["enqueue", "mail-again", "add", "{}", "--job-id", "twice"];
    const first = await runNaq(server.url, args);
    assert.equal(first.stdout, "Enqueued job twice (task add) in queue mail-again\n");
    const second = await runNaq(server.url, args);
    assert.equal(second.code, 0);
    assert.equal(
      second.stdout,
      "Enqueued job twice (task add) in queue mail-again (already known: waiting)\n",
    );
  });

  await t.step("an invalid JSON payload or option is bad usage: exit 2", async () => {
    const payload = await runNaq(server.url, ["enqueue", "mail-usage", "add", "{a:1}"]);
    assert.equal(payload.code, 2);
    assert.match(
      payload.stderr,
      /^naq: The payload is not valid JSON \(.*\); quote it for the shell/,
    );
    assert.equal(payload.stderr.trimEnd().split("\n").length, 1);
    const attempts = await runNaq(server.url, [
      "enqueue",
      "mail-usage",
      "add",
      "--attempts",
      "two",
    ]);
    assert.equal(attempts.code, 2);
    assert.match(attempts.stderr, /Expected an integer >= 1, got "two"/);
    const timeout = await runNaq(server.url, ["enqueue", "mail-usage", "add", "--timeout", "soon"]);
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /Cannot parse duration "soon"/);
    const id = await runNaq(server.url, ["enqueue", "mail-usage", "add", "--job-id", "a b"]);
    assert.equal(id.code, 2);
    assert.match(id.stderr, /Cannot use "a b" as a job id/);
    const waitTimeout = await runNaq(server.url, [
      "enqueue",
      "mail-usage",
      "add",
      "--wait-timeout",
      "1s",
    ]);
    assert.equal(waitTimeout.code, 2);
    assert.equal(waitTimeout.stderr, "naq: --wait-timeout needs --wait\n");
  });

  await t.step("--wait prints the result; --json the finished record", async () => {
    await using _worker = startWorker("mail-wait");
    const plain = await runNaq(server.url, [
      "enqueue",
      "mail-wait",
      "add",
      '{"a":2,"b":2}',
      "--wait",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), { sum: 4 });
    // the job's id, on stderr: stdout is the result's
    assert.match(plain.stderr, /^Enqueued job \S+ \(task add\) in queue mail-wait; waiting\n$/);
    const id = plain.stderr.split(" ")[2];
    const job = await new Queue("mail-wait", { services }).getJob(id);
    assert.deepEqual(inState(job, "completed").result, { sum: 4 });
    const json = await runNaq(server.url, [
      "enqueue",
      "mail-wait",
      "add",
      '{"a":3,"b":4}',
      "--wait",
      "--wait-timeout",
      "30s",
      "--json",
    ]);
    assert.equal(json.code, 0);
    const record = JSON.parse(json.stdout);
    assert.equal(record.state, "completed");
    assert.deepEqual(record.result, { sum: 7 });
  });

  await t.step("--wait exits 1 with the error of a job that failed for good", async () => {
    await using _worker = startWorker("mail-fail");
    const failed = await runNaq(server.url, [
      "enqueue",
      "mail-fail",
      "fail",
      "{}",
      "--attempts",
      "1",
      "--job-id",
      "doomed",
      "--wait",
      "--wait-timeout",
      "30s",
    ]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, "");
    assert.match(
      failed.stderr,
      /^Enqueued job doomed \(task fail\) in queue mail-fail; waiting\nnaq: Job doomed \(task fail\) in queue mail-fail failed for good: .*; last error: boom\n$/,
    );
  });

  await t.step("a --wait that gives up exits 3, saying the job goes on", async () => {
    const queue = new Queue("mail-slow", { services });
    const gaveUp = await runNaq(server.url, [
      "enqueue",
      "mail-slow",
      "add",
      "--job-id",
      "patient",
      "--wait",
      "--wait-timeout",
      "200ms",
    ]);
    assert.equal(gaveUp.code, 3, gaveUp.stderr);
    assert.equal(gaveUp.stdout, "");
    assert.equal(
      gaveUp.stderr,
      "Enqueued job patient (task add) in queue mail-slow; waiting\n" +
        "naq: Gave up waiting for job patient in queue mail-slow after 200ms: it is waiting " +
        "(no worker has taken jobs from queue mail-slow yet: naq worker mail-slow --tasks " +
        "<module>), and goes on; wait again with naq job result patient --queue mail-slow " +
        "[--timeout 5m]\n",
    );
    assert.equal((await queue.getJob("patient"))?.state, "waiting");
    const again = await runNaq(server.url, [
      "job",
      "result",
      "patient",
      "--queue",
      "mail-slow",
      "--timeout",
      "100ms",
    ]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /^naq: Gave up waiting for job patient/);
  });
});

Deno.test("naq enqueue --delay, --at and --file", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));

  await t.step("--delay and --at store a delayed job and say until when", async () => {
    const queue = new Queue("later-delay", { services });
    const before = Date.now();
    const delayed = await runNaq(server.url, ["enqueue", "later-delay", "add", "--delay", "5m"]);
    assert.equal(delayed.code, 0, delayed.stderr);
    const [, id, until] = delayed.stdout.match(
      /^Enqueued job (\S+) \(task add\) in queue later-delay, delayed until (\S+)\n$/,
    )!;
    const job = await queue.getJob(id);
    assert.equal(job?.state, "delayed");
    assert.equal(job?.runAt, Date.parse(until));
    assert.ok(job!.runAt! >= before + 300_000 && job!.runAt! <= Date.now() + 300_000);
    const at = await runNaq(server.url, [
      "enqueue",
      "later-delay",
      "add",
      "--at",
      "2031-05-01T08:00:00Z",
      "--json",
    ]);
    assert.equal(JSON.parse(at.stdout).runAt, Date.UTC(2031, 4, 1, 8));
    assert.equal(JSON.parse(at.stdout).state, "delayed");
  });

  await t.step("--delay with --at, or a time that is not one, is bad usage", async () => {
    const both = await runNaq(server.url, [
      "enqueue",
      "later-usage",
      "add",
      "--delay",
      "1m",
      "--at",
      "2031-01-01T00:00:00Z",
    ]);
    assert.equal(both.code, 2);
    assert.equal(both.stderr, "naq: --delay and --at both say when to run: give one of them\n");
    const bad = await runNaq(server.url, ["enqueue", "later-usage", "add", "--at", "tomorrow"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Cannot use "tomorrow" as a time: give .* ISO 8601 time/);
  });

  await t.step("a duration without a unit is refused, showing it with one", async () => {
    const queue = new Queue("later-bare", { services });
    for (const flag of ["--delay", "--timeout"]) {
      const bare = await runNaq(server.url, ["enqueue", "later-bare", "add", flag, "5"]);
      assert.equal(bare.code, 2);
      assert.match(bare.stderr, /Cannot parse duration "5": a number needs a unit: write "5s" for/);
    }
    const dir = await Deno.makeTempDir({ prefix: "cli12_" });
    await Deno.writeTextFile(`${dir}/bare.ndjson`, '{"task":"add","delay":5}\n');
    const line = await runNaq(server.url, [
      "enqueue",
      "later-bare",
      "--file",
      `${dir}/bare.ndjson`,
    ]);
    assert.equal(line.code, 2);
    assert.equal(
      line.stderr,
      'naq: line 1: "delay": 5 is not a duration: a number needs a unit: write "5s" for 5 ' +
        'seconds, or "5ms" (also m, h, d); nothing was enqueued\n',
    );
    assert.equal((await queue.stats()).delayed + (await queue.stats()).waiting, 0);
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("--file enqueues every line of an NDJSON file", async () => {
    const queue = new Queue("later-file", { services });
    const dir = await Deno.makeTempDir();
    const file = `${dir}/jobs.ndjson`;
    const lines = Array.from(
      { length: 2_500 },
      (_, i) => JSON.stringify({ task: "add", payload: { a: i, b: 1 }, jobId: `bulk-${i}` }),
    );
    lines.push(JSON.stringify({ task: "add", payload: null, jobId: "bulk-late", delay: "1h" }));
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const bulk = await runNaq(server.url, ["enqueue", "later-file", "--file", file]);
    assert.equal(bulk.code, 0, bulk.stderr);
    assert.equal(bulk.stdout, "Enqueued 2501 jobs in queue later-file\n");
    assert.doesNotMatch(bulk.stderr, /enqueued \d/, "no progress when stderr is not a terminal");
    assert.deepEqual((await queue.getJob("bulk-2499"))?.payload, { a: 2499, b: 1 });
    assert.equal((await queue.getJob("bulk-late"))?.state, "delayed");
    const again = await runNaq(server.url, ["enqueue", "later-file", "--file", file, "--json"]);
    assert.deepEqual(JSON.parse(again.stdout), {
      queue: "later-file",
      enqueued: 0,
      ids: [...Array.from({ length: 2500 }, (_, i) => `bulk-${i}`), "bulk-late"],
      duplicates: 2501,
    });
    assert.equal((await queue.stats()).waiting, 2500, "the same ids again are the same jobs");
    const plainAgain = await runNaq(server.url, ["enqueue", "later-file", "--file", file]);
    assert.equal(
      plainAgain.stdout,
      "Enqueued 0 jobs in queue later-file; 2501 already known, left as they were\n",
    );
    await Deno.remove(dir, { recursive: true });
  });

  await t.step({
    name: "--file shows progress on a terminal",
    ignore: !hasScript(),
    fn: async () => {
      const dir = await Deno.makeTempDir();
      const file = `${dir}/jobs.ndjson`;
      const lines = Array.from(
        { length: 2_500 },
        (_, i) => JSON.stringify({ task: "add", payload: i }),
      );
      await Deno.writeTextFile(file, lines.join("\n"));
      const shown = await runNaqOnTerminal(server.url, [
        "enqueue",
        "later-terminal",
        "--file",
        file,
      ]);
      assert.equal(shown.code, 0, shown.stdout);
      assert.match(shown.stdout, /\renqueued 1000\/2500\renqueued 2000\/2500\renqueued 2500\/2500/);
      assert.match(shown.stdout, /Enqueued 2500 jobs in queue later-terminal/);
      await Deno.remove(dir, { recursive: true });
    },
  });

  await t.step("--delay, --at, --attempts and --timeout are each line's defaults", async () => {
    const queue = new Queue("later-defaults", { services });
    const dir = await Deno.makeTempDir();
    const file = `${dir}/defaults.ndjson`;
    await Deno.writeTextFile(
      file,
      [
        { task: "add", jobId: "default-1" },
        { task: "add", jobId: "default-2", attempts: 2, runAt: "2031-01-01T00:00:00Z" },
      ].map((line) => JSON.stringify(line)).join("\n"),
    );
    const done = await runNaq(server.url, [
      "enqueue",
      "later-defaults",
      "--file",
      file,
      "--delay",
      "1h",
      "--attempts",
      "9",
      "--timeout",
      "5s",
    ]);
    assert.equal(done.code, 0, done.stderr);
    const first = await queue.getJob("default-1");
    assert.equal(first?.state, "delayed");
    assert.equal(first?.options.attempts, 9);
    assert.equal(first?.options.timeoutMs, 5_000);
    const second = await queue.getJob("default-2");
    assert.equal(inState(second, "delayed").runAt, Date.UTC(2031, 0, 1));
    assert.equal(second?.options.attempts, 2);
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("--file --json prints the ids of new jobs, in the file's order", async () => {
    const dir = await Deno.makeTempDir({ prefix: "cli12_" });
    await Deno.writeTextFile(
      `${dir}/ids.ndjson`,
      '{"task":"add"}\n{"task":"add","jobId":"mine"}\n',
    );
    const json = await runNaq(server.url, [
      "enqueue",
      "later-ids",
      "--file",
      `${dir}/ids.ndjson`,
      "--json",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const printed = JSON.parse(json.stdout);
    assert.equal(printed.ids.length, 2);
    assert.equal(printed.ids[1], "mine");
    assert.equal(printed.duplicates, 0);
    const queue = new Queue("later-ids", { services });
    assert.equal((await queue.getJob(printed.ids[0]))?.state, "waiting");
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("a file with many bad lines names 20 of them, and enqueues nothing", async () => {
    const queue = new Queue("later-many-bad", { services });
    const dir = await Deno.makeTempDir({ prefix: "cli12_" });
    const good = JSON.stringify({ task: "add" });
    const three = [good, "{oops", good, JSON.stringify({ task: "add", attempts: 0 }), "[]"];
    await Deno.writeTextFile(`${dir}/three.ndjson`, three.join("\n"));
    const some = await runNaq(server.url, [
      "enqueue",
      "later-many-bad",
      "--file",
      `${dir}/three.ndjson`,
    ]);
    assert.equal(some.code, 2);
    const lines = some.stderr.trimEnd().split("\n");
    assert.equal(
      lines[0],
      `naq: 3 lines of ${dir}/three.ndjson are bad; nothing was enqueued:`,
    );
    assert.match(lines[1], /^ {2}line 2 is not JSON \(/);
    assert.match(lines[2], /^ {2}line 4: Cannot enqueue as options are invalid: 'attempts'/);
    assert.equal(lines[3], '  line 5 has no "task" name');
    assert.equal(lines.length, 4);

    const many = Array.from({ length: 30 }, (_, i) => i % 2 ? good : `not json ${i}`);
    await Deno.writeTextFile(`${dir}/many.ndjson`, many.join("\n"));
    const lots = await runNaq(server.url, [
      "enqueue",
      "later-many-bad",
      "--file",
      `${dir}/many.ndjson`,
    ]);
    assert.equal(lots.code, 2);
    const named = lots.stderr.trimEnd().split("\n");
    assert.equal(named[0], `naq: 15 lines of ${dir}/many.ndjson are bad; nothing was enqueued:`);
    assert.equal(named.length, 16);
    const more = Array.from({ length: 30 }, (_, i) => `not json ${i}`);
    await Deno.writeTextFile(`${dir}/more.ndjson`, more.join("\n"));
    const most = await runNaq(server.url, [
      "enqueue",
      "later-many-bad",
      "--file",
      `${dir}/more.ndjson`,
    ]);
    const listed = most.stderr.trimEnd().split("\n");
    assert.equal(
      listed[0],
      `naq: more than 20 lines of ${dir}/more.ndjson are bad; nothing was enqueued:`,
    );
    assert.equal(listed.length, 1 + 20 + 1);
    assert.equal(
      listed[20],
      "  line 20 is not JSON (Unexpected token 'o', \"not json 19\" is not valid JSON)",
    );
    assert.equal(listed[21], "  and more");
    assert.equal((await queue.stats()).waiting, 0);
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("a bad line in --file enqueues nothing and names the line", async () => {
    const queue = new Queue("later-bad", { services });
    const dir = await Deno.makeTempDir();
    const file = `${dir}/bad.ndjson`;
    await Deno.writeTextFile(file, '{"task":"add","jobId":"first"}\n{"task":"add","priority":1}\n');
    const bad = await runNaq(server.url, ["enqueue", "later-bad", "--file", file]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "naq: line 2 has unknown field priority; use task, payload, jobId, delay, runAt, " +
        "attempts, timeout; nothing was enqueued\n",
    );
    assert.equal(await queue.getJob("first"), null);
    const missing = await runNaq(server.url, [
      "enqueue",
      "later-bad",
      "--file",
      `${dir}/none.ndjson`,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^naq: Cannot read .*none\.ndjson: /);
    // a bad value far down the file: still nothing enqueued, and the line named
    const lines = Array.from(
      { length: 1_500 },
      (_, i) => JSON.stringify({ task: "add", payload: i }),
    );
    lines.push(JSON.stringify({ task: "add", attempts: 0 }));
    await Deno.writeTextFile(`${dir}/late.ndjson`, lines.join("\n"));
    const late = await runNaq(server.url, ["enqueue", "later-bad", "--file", `${dir}/late.ndjson`]);
    assert.equal(late.code, 2);
    assert.match(
      late.stderr,
      /^naq: line 1501: Cannot enqueue as options are invalid: 'attempts'.*; nothing was enqueued\n$/,
    );
    assert.equal((await queue.stats()).waiting, 0);
    const withTask = await runNaq(server.url, ["enqueue", "later-bad", "add", "--file", file]);
    assert.equal(withTask.code, 2);
    assert.equal(
      withTask.stderr,
      "naq: --file gives each job's task: leave out <task> and [json]\n",
    );
    await Deno.remove(dir, { recursive: true });
  });
});
