import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";
import { runNaq } from "./_naq.ts";
import { add, fail } from "./fixtures/tasks.ts";

Deno.test("naq enqueue", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("mail", { services });

  await t.step("stores a job and says so; --json prints its record", async () => {
    const plain = await runNaq(server.url, ["enqueue", "mail", "add", '{"a":1,"b":2}']);
    assert.equal(plain.stderr, "");
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

  await t.step("an invalid JSON payload or option is bad usage: exit 2", async () => {
    const payload = await runNaq(server.url, ["enqueue", "mail", "add", "{a:1}"]);
    assert.equal(payload.code, 2);
    assert.match(
      payload.stderr,
      /^naq: The payload is not valid JSON \(.*\); quote it for the shell/,
    );
    assert.equal(payload.stderr.trimEnd().split("\n").length, 1);
    const attempts = await runNaq(server.url, ["enqueue", "mail", "add", "--attempts", "two"]);
    assert.equal(attempts.code, 2);
    assert.match(attempts.stderr, /Expected an integer >= 1, got "two"/);
    const timeout = await runNaq(server.url, ["enqueue", "mail", "add", "--timeout", "soon"]);
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /Cannot parse duration "soon"/);
    const id = await runNaq(server.url, ["enqueue", "mail", "add", "--job-id", "a b"]);
    assert.equal(id.code, 2);
    assert.match(id.stderr, /Cannot use "a b" as a job id/);
    const waitTimeout = await runNaq(server.url, [
      "enqueue",
      "mail",
      "add",
      "--wait-timeout",
      "1s",
    ]);
    assert.equal(waitTimeout.code, 2);
    assert.equal(waitTimeout.stderr, "naq: --wait-timeout needs --wait\n");
  });

  await using worker = new Worker("mail", [add, fail], {
    services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();

  await t.step("--wait prints the result; --json the finished record", async () => {
    const plain = await runNaq(server.url, ["enqueue", "mail", "add", '{"a":2,"b":2}', "--wait"]);
    assert.equal(plain.stderr, "");
    assert.equal(plain.code, 0);
    assert.deepEqual(JSON.parse(plain.stdout), { sum: 4 });
    const json = await runNaq(server.url, [
      "enqueue",
      "mail",
      "add",
      '{"a":3,"b":4}',
      "--wait",
      "--wait-timeout",
      "10s",
      "--json",
    ]);
    assert.equal(json.code, 0);
    const record = JSON.parse(json.stdout);
    assert.equal(record.state, "completed");
    assert.deepEqual(record.result, { sum: 7 });
  });

  await t.step("--wait exits 1 with the error of a job that failed for good", async () => {
    const failed = await runNaq(server.url, [
      "enqueue",
      "mail",
      "fail",
      "{}",
      "--attempts",
      "1",
      "--job-id",
      "doomed",
      "--wait",
    ]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, "");
    assert.match(
      failed.stderr,
      /^naq: Job doomed \(task fail\) in queue mail failed for good: .*; last error: boom\n$/,
    );
  });
});
