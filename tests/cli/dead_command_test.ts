import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/service_manager.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";
import { runNaq } from "./_naq.ts";
import { fail } from "./fixtures/tasks.ts";

Deno.test("naq dead", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("imports", { services });
  const naq = (...args: string[]) => runNaq(server.url, args);
  // every job fails for good on its first attempt
  const killAll = async (ids: string[]) => {
    await using worker = new Worker("imports", [fail], {
      services,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    for (const id of ids) await queue.enqueue(fail, {}, { jobId: id });
    for (const id of ids) await queue.result(id, { timeout: "10s" }).catch(() => {});
  };

  await t.step("list says so when there is none", async () => {
    const empty = await naq("dead", "list", "imports");
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "No dead letters in queue imports\n");
  });

  await killAll(["d1", "d2", "d3"]);

  await t.step("list prints the dead letters; --json with their jobs", async () => {
    const { code, stdout } = await naq("dead", "list", "imports");
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n");
    assert.match(lines[0], /^SEQ\s+JOB\s+TASK\s+AT\s+REASON$/);
    assert.deepEqual(lines.slice(1).map((line) => line.split(/\s{2,}/)[1]), ["d1", "d2", "d3"]);
    assert.match(lines[1], /\sfail\s.*\sfailed 1 of 1 attempt/);
    const json = JSON.parse(
      (await naq("dead", "list", "imports", "--limit", "2", "--json")).stdout,
    );
    assert.equal(json.length, 2);
    assert.equal(json[0].job.id, "d1");
    assert.equal(typeof json[0].seq, "number");
    assert.equal(typeof json[0].raw, "string");
  });

  await t.step("retry --job retries one dead job; an unknown one exits 1", async () => {
    const one = await naq("dead", "retry", "imports", "--job", "d1");
    assert.equal(one.code, 0);
    assert.equal(one.stdout, "Retried 1 dead job of queue imports\n");
    assert.equal((await queue.getJob("d1"))?.state, "waiting");
    const unknown = await naq("dead", "retry", "imports", "--job", "nobody");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^naq: Job nobody is not in queue imports/);
  });

  await t.step("retry retries every dead job of the queue", async () => {
    const all = await naq("dead", "retry", "imports", "--json");
    assert.equal(all.code, 0);
    assert.deepEqual(JSON.parse(all.stdout), { retried: ["d2", "d3"], failed: [] });
    assert.equal((await queue.getJob("d3"))?.state, "waiting");
    assert.equal(
      (await naq("dead", "list", "imports")).stdout,
      "No dead letters in queue imports\n",
    );
  });

  await killAll(["d4", "d5"]);

  await t.step("purge removes every dead letter and says how many", async () => {
    const purged = await naq("dead", "purge", "imports");
    assert.equal(purged.code, 0);
    // d1 to d3 were waiting again: the worker took them with d4 and d5
    assert.equal(purged.stdout, "Purged 5 dead letters of queue imports\n");
    assert.deepEqual(JSON.parse((await naq("dead", "purge", "imports", "--json")).stdout), {
      purged: 0,
    });
  });

  await t.step("an unknown subcommand or a missing queue is bad usage: exit 2", async () => {
    const unknown = await naq("dead", "drop", "imports");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'drop'/);
    const noQueue = await naq("dead", "purge");
    assert.equal(noQueue.code, 2);
    assert.match(noQueue.stderr, /missing required argument 'queue'/);
  });
});
