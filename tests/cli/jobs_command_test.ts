import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, startFixtureWorker } from "./_naq.ts";

// Each step has queues of its own; the steps that list every queue have a server of their own.
Deno.test("naq jobs and naq queues", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const naq = (...args: string[]) => runNaq(server.url, args);
  /** Enqueues o1, o2 and o3 in queue `name` of `manager`, and cancels o2. */
  const seedOrders = async (manager: ServiceManager, name: string) => {
    const orders = new Queue(name, { services: manager });
    await orders.enqueue("ship", { n: 1 }, { jobId: "o1" });
    await orders.enqueue("ship", { n: 2 }, { jobId: "o2" });
    await orders.enqueue("ship", { n: 3 }, { jobId: "o3" });
    await orders.cancel("o2");
  };

  await t.step("queues says so when there is none", async () => {
    await using empty = await startNatsServer();
    const plain = await runNaq(empty.url, ["queues"]);
    assert.equal(plain.code, 0);
    assert.equal(plain.stdout, "No queues under the prefix naq\n");
    assert.deepEqual(JSON.parse((await runNaq(empty.url, ["queues", "--json"])).stdout), []);
  });

  await t.step("jobs lists a queue's jobs newest first, in a table", async () => {
    await seedOrders(services, "orders-table");
    const { code, stdout } = await naq("jobs", "orders-table");
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n");
    assert.match(lines[0], /^ID\s+TASK\s+STATE\s+ATTEMPT\s+ENQUEUED\s+DUE\s+LAST ERROR \/ REASON$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 4)),
      // (ENQUEUED is an age: "just now", "3m ago")
      [["o3", "ship", "waiting", "0/3"], ["o2", "ship", "cancelled", "0/3"], [
        "o1",
        "ship",
        "waiting",
        "0/3",
      ]],
    );
  });

  await t.step("jobs --state delayed shows when each runs; ages are relative", async () => {
    const later = new Queue("orders-delayed", { services });
    await later.enqueue("ship", null, { jobId: "d1", delay: "2h" });
    const { code, stdout } = await naq("jobs", "orders-delayed", "--state", "delayed");
    assert.equal(code, 0);
    assert.match(stdout, /^d1\s+ship\s+delayed\s+0\/3\s+(just now|\d+s ago)\s+in 1h\s+-$/m);
  });

  await t.step("jobs shows why a job is dead when no attempt of it failed", async () => {
    await using _worker = startFixtureWorker(services, "orders-unknown");
    const orders = new Queue("orders-unknown", { services });
    const job = await orders.enqueue("nobody-knows", null, { jobId: "u1" });
    await assert.rejects(job.result({ timeout: "30s" }));
    const { code, stdout } = await naq("jobs", "orders-unknown");
    assert.equal(code, 0);
    assert.match(stdout, /^u1\s+nobody-knows\s+dead\s.*\sno task named "nobody-knows"/m);
  });

  await t.step("jobs --state and --limit filter; --json prints records", async () => {
    await seedOrders(services, "orders-filter");
    const waiting = JSON.parse(
      (await naq("jobs", "orders-filter", "--state", "waiting", "--json")).stdout,
    );
    assert.deepEqual(waiting.map((job: { id: string }) => job.id), ["o3", "o1"]);
    const one = JSON.parse((await naq("jobs", "orders-filter", "--limit", "1", "--json")).stdout);
    assert.deepEqual(one.map((job: { id: string }) => job.id), ["o3"]);
    const none = await naq("jobs", "orders-filter", "--state", "dead");
    assert.equal(none.stdout, "No dead jobs in queue orders-filter\n");
  });

  await t.step("jobs rejects an unknown state with exit 2", async () => {
    const bad = await naq("jobs", "orders-usage", "--state", "done");
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /argument 'done' is invalid\. Allowed choices are delayed, waiting, active/,
    );
    const limit = await naq("jobs", "orders-usage", "--limit", "-1");
    assert.equal(limit.code, 2);
  });

  await t.step("queues counts each queue's jobs per state", async () => {
    await using own = await startNatsServer();
    await using ownServices = new ServiceManager(testConfig(own.url));
    await seedOrders(ownServices, "orders");
    await new Queue("emails", { services: ownServices }).enqueue("send", {}, { jobId: "e1" });
    const { code, stdout } = await runNaq(own.url, ["queues"]);
    assert.equal(code, 0);
    assert.equal(
      stdout,
      [
        "QUEUE   PAUSED  DELAYED  WAITING  ACTIVE  FAILED  COMPLETED  DEAD  CANCELLED",
        "emails  no      0        1        0       0       0          0     0",
        "orders  no      0        2        0       0       0          0     1",
        "",
      ].join("\n"),
    );
    assert.deepEqual(JSON.parse((await runNaq(own.url, ["queues", "--json"])).stdout), [
      {
        queue: "emails",
        paused: false,
        delayed: 0,
        waiting: 1,
        active: 0,
        failed: 0,
        completed: 0,
        dead: 0,
        cancelled: 0,
      },
      {
        queue: "orders",
        paused: false,
        delayed: 0,
        waiting: 2,
        active: 0,
        failed: 0,
        completed: 0,
        dead: 0,
        cancelled: 1,
      },
    ]);
  });

  await t.step("queues takes no argument, and fails in one line without a server", async () => {
    const extra = await naq("queues", "orders");
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /too many arguments/);
    const down = await runNaq("nats://127.0.0.1:1", ["queues"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^naq: Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: .*\n$/);
  });
});
