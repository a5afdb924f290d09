import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";
import { runNaq } from "./_naq.ts";
import { fail } from "./fixtures/tasks.ts";

// Each step has a queue of its own, so that what one step leaves (or fails to make) is not
// what the next one sees.
Deno.test("naq dead", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const naq = (...args: string[]) => runNaq(server.url, args);
  /** Enqueues `ids` in `queue` and waits until each has failed for good (its only attempt). */
  const killAll = async (queue: Queue, ids: string[]) => {
    await using worker = new Worker(queue.name, [fail], {
      services,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    for (const id of ids) await queue.enqueue(fail, {}, { jobId: id });
    for (const id of ids) {
      await assert.rejects(queue.result(id, { timeout: "30s" }), /failed for good/);
    }
  };

  await t.step("list says so when there is none", async () => {
    await killAll(new Queue("dead-none-other", { services }), ["elsewhere"]);
    const empty = await naq("dead", "list", "dead-none");
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "No dead letters in queue dead-none\n");
  });

  await t.step("list prints the dead letters; --json with their jobs", async () => {
    await killAll(new Queue("dead-list", { services }), ["d1", "d2", "d3"]);
    const { code, stdout } = await naq("dead", "list", "dead-list");
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n");
    assert.match(lines[0], /^SEQ\s+JOB\s+TASK\s+AT\s+REASON\s+LAST ERROR$/);
    assert.deepEqual(lines.slice(1).map((line) => line.split(/\s{2,}/)[1]), ["d1", "d2", "d3"]);
    assert.match(lines[1], /\sfail\s+(just now|\d+s ago)\s+failed 1 of 1 attempt\s+boom$/);
    const json = JSON.parse(
      (await naq("dead", "list", "dead-list", "--limit", "2", "--json")).stdout,
    );
    assert.equal(json.length, 2);
    assert.equal(json[0].job.id, "d1");
    assert.equal(typeof json[0].seq, "number");
    assert.equal(typeof json[0].raw, "string");
  });

  await t.step("retry --job retries one dead job; an unknown one exits 1", async () => {
    const queue = new Queue("dead-retry-one", { services });
    await killAll(queue, ["d1", "d2"]);
    const one = await naq("dead", "retry", "dead-retry-one", "--job", "d1");
    assert.equal(one.code, 0);
    assert.equal(one.stdout, "Retried 1 dead job of queue dead-retry-one\n");
    assert.equal((await queue.getJob("d1"))?.state, "waiting");
    assert.equal((await queue.getJob("d2"))?.state, "dead");
    const unknown = await naq("dead", "retry", "dead-retry-one", "--job", "nobody");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^naq: Job nobody is not in queue dead-retry-one/);
  });

  await t.step("retry retries every dead job of the queue", async () => {
    const queue = new Queue("dead-retry-all", { services });
    await killAll(queue, ["d1", "d2"]);
    const dry = await naq("dead", "retry", "dead-retry-all", "--dry-run");
    assert.equal(
      dry.stdout,
      "Would retry 2 dead letters of queue dead-retry-all; nothing was done\n",
    );
    const refused = await naq("dead", "retry", "dead-retry-all");
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^naq: naq dead retry would retry 2 dead letters of queue dead-retry-all, and asks first, but stdin is not a terminal: pass --yes/,
    );
    assert.equal((await queue.getJob("d2"))?.state, "dead");
    const all = await naq("dead", "retry", "dead-retry-all", "--json", "--yes");
    assert.equal(all.code, 0);
    assert.deepEqual(JSON.parse(all.stdout), { retried: ["d1", "d2"], failed: [] });
    assert.equal((await queue.getJob("d2"))?.state, "waiting");
    assert.equal(
      (await naq("dead", "list", "dead-retry-all")).stdout,
      "No dead letters in queue dead-retry-all\n",
    );
  });

  await t.step("purge removes every dead letter and says how many", async () => {
    await killAll(new Queue("dead-purge", { services }), ["d1", "d2"]);
    const dry = await naq("dead", "purge", "dead-purge", "--dry-run", "--json");
    assert.deepEqual(JSON.parse(dry.stdout), {
      queue: "dead-purge",
      dryRun: true,
      deadLetters: 2,
    });
    const refused = await naq("dead", "purge", "dead-purge");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /pass --yes to go ahead/);
    const purged = await naq("dead", "purge", "dead-purge", "-y");
    assert.equal(purged.code, 0);
    assert.equal(purged.stdout, "Purged 2 dead letters of queue dead-purge\n");
    assert.deepEqual(
      JSON.parse((await naq("dead", "purge", "dead-purge", "--json", "--yes")).stdout),
      {
        purged: 0,
      },
    );
  });

  await t.step("an unknown subcommand or a missing queue is bad usage: exit 2", async () => {
    const unknown = await naq("dead", "drop", "dead-usage");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'drop'/);
    const noQueue = await naq("dead", "purge");
    assert.equal(noQueue.code, 2);
    assert.match(noQueue.stderr, /missing required argument 'queue'/);
  });
});
