import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { freePort, startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, spawnNaq } from "./_naq.ts";

Deno.test("naq worker", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));

  await t.step("runs the module's tasks, logs each outcome and exits 0 on SIGTERM", async () => {
    await using worker = await spawnNaq(server.url, [
      "worker",
      "sums",
      "--tasks",
      "tasks.ts", // relative to the working directory, the fixtures
      "--concurrency",
      "2",
    ]);
    await worker.waitFor(/running add, fail on sums \(concurrency 2\); Ctrl-C to stop\n/);
    const queue = new Queue("sums", { services });
    const job = await queue.enqueue("add", { a: 2, b: 3 }, { jobId: "sum-1" });
    assert.deepEqual(await job.result({ timeout: "30s" }), { sum: 5 });
    await worker.waitFor(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}naq: sums add sum-1 completed in \d+ ms$/m,
    );
    assert.equal(await worker.stop("SIGTERM"), 0);
    assert.match(worker.stdout(), /: stopped\n$/);
    assert.equal(worker.stderr(), "");
  });

  await t.step("--json logs one JSON record per line, failures at warn", async () => {
    await using worker = await spawnNaq(server.url, [
      "worker",
      "sums-json",
      "--tasks",
      "tasks.ts",
      "--json",
    ]);
    await worker.waitFor(/Ctrl-C to stop/);
    const queue = new Queue("sums-json", { services });
    await (await queue.enqueue("add", { a: 1, b: 1 }, { jobId: "j1" })).result({ timeout: "30s" });
    await worker.waitFor(/completed in/);
    await assert.rejects(
      (await queue.enqueue("fail", null, { jobId: "f1" })).result({ timeout: "30s" }),
    );
    await worker.waitFor(/"jobId":"f1"/, "stderr");
    assert.equal(await worker.stop("SIGINT"), 0);
    const failure = JSON.parse(worker.stderr().trimEnd().split("\n").at(-1)!);
    assert.equal(failure.level, "warn");
    assert.match(failure.msg, /^dead after attempt 1: /);
    assert.deepEqual([failure.task, failure.jobId, failure.error], ["fail", "f1", "boom"]);
    const lines = worker.stdout().trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.ok(lines.every((line) => line.level === "info" && !isNaN(Date.parse(line.ts))));
    const done = lines.find((line) => line.jobId === "j1");
    assert.deepEqual(Object.keys(done), [
      "ts",
      "level",
      "msg",
      "queue",
      "task",
      "jobId",
      "attempt",
      "durationMs",
    ]);
    assert.match(done.msg, /^completed in \d+ ms$/);
    assert.deepEqual([done.queue, done.task, done.attempt], ["sums-json", "add", 1]);
    assert.equal(typeof done.durationMs, "number");
  });

  await t.step(
    "the first Ctrl-C says it waits for the running jobs, the second hands them back",
    async () => {
      await using worker = await spawnNaq(server.url, [
        "worker",
        "slow",
        "--tasks",
        "slow_tasks.ts",
        "--shutdown-timeout",
        "10m",
        "--no-scheduler",
      ]);
      await worker.waitFor(/Ctrl-C to stop/);
      const queue = new Queue("slow", { services });
      await queue.enqueue("slow", null, { jobId: "s1" });
      await worker.waitFor(/naq: slow slow s1 slow started/);
      worker.kill("SIGINT");
      await worker.waitFor(
        /: stopping; waiting up to 10m for 1 running job \(Ctrl-C again to hand them back now\)$/m,
      );
      worker.kill("SIGINT");
      await worker.waitFor(/: handing back 1 running job for immediate redelivery elsewhere$/m);
      await worker.waitFor(/naq: slow slow s1 handed back, unfinished/);
      assert.equal(await worker.stop("SIGINT"), 0);
      assert.equal((await queue.getJob("s1"))?.state, "waiting");
    },
  );

  await t.step(
    "a missing module, or one without tasks, is a one-line error and exit 1",
    async () => {
      const missing = await runNaq(server.url, ["worker", "q", "--tasks", "nope.ts"]);
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /^naq: Cannot load the task module nope\.ts: Module not found .*\n$/,
      );
      const empty = await runNaq(server.url, ["worker", "q", "--tasks", "no_tasks.ts"]);
      assert.equal(empty.code, 1);
      assert.equal(
        empty.stderr,
        "naq: The task module no_tasks.ts exports no task: export tasks made with defineTask(), " +
          "by name or as a default array\n",
      );
    },
  );

  await t.step("no queue, no --tasks or a bad --concurrency is bad usage: exit 2", async () => {
    const noQueue = await runNaq(server.url, ["worker", "--tasks", "tasks.ts"]);
    assert.equal(noQueue.code, 2);
    assert.match(noQueue.stderr, /missing required argument 'queues'/);
    const noTasks = await runNaq(server.url, ["worker", "q"]);
    assert.equal(noTasks.code, 2);
    assert.match(noTasks.stderr, /required option '--tasks <module>' not specified/);
    const zero = await runNaq(server.url, [
      "worker",
      "q",
      "--tasks",
      "tasks.ts",
      "--concurrency",
      "0",
    ]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /Expected an integer >= 1, got "0"/);
    // without a port, the address would serve nothing, and nothing would say so (a server
    // nowhere: a worker that did start would exit 1 at once, not run on)
    const hostnameOnly = await runNaq(`nats://127.0.0.1:${freePort()}`, [
      "worker",
      "q",
      "--tasks",
      "tasks.ts",
      "--metrics-hostname",
      "0.0.0.0",
    ]);
    assert.equal(hostnameOnly.code, 2, hostnameOnly.stderr);
    assert.match(hostnameOnly.stderr, /--metrics-hostname needs --metrics-port/);
  });

  await t.step(
    "a server that cannot be reached is said once, before anything runs: exit 1",
    async () => {
      // a port nothing listens on: the connection is refused at once
      const nowhere = `nats://127.0.0.1:${freePort()}`;
      for (const args of [["worker", "q", "--tasks", "tasks.ts"], ["scheduler"]]) {
        const { code, stdout, stderr } = await runNaq(nowhere, args);
        assert.equal(code, 1, stderr);
        assert.equal(stdout, "", `${args[0]} said it runs`);
        assert.equal(
          stderr,
          `naq: Cannot connect to NATS at ${nowhere}: connection refused. Check that ` +
            "nats-server is running there, or set nats.servers (NAQ_NATS_SERVERS).\n",
        );
      }
    },
  );
});
