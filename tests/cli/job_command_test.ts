import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, startFixtureWorker } from "./_naq.ts";

// Each step has a queue of its own, so that what one step leaves (or fails to make) is not
// what the next one sees.
Deno.test("naq job", async (t) => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const naq = (...args: string[]) => runNaq(server.url, args);
  const startWorker = (queue: string) => startFixtureWorker(services, queue);

  await t.step("show prints a job's fields; --json its record", async () => {
    const queue = new Queue("work-show", { services });
    await queue.enqueue("add", { a: 1, b: 1 }, { jobId: "shown" });
    const plain = await naq("job", "show", "shown", "--queue", "work-show");
    assert.equal(plain.code, 0);
    const row = (key: string) =>
      plain.stdout.split("\n").find((line) => line.startsWith(`${key} `))?.split(/\s{2,}/)[1];
    assert.equal(row("id"), "shown");
    assert.equal(row("task"), "add");
    assert.equal(row("state"), "waiting");
    assert.equal(row("attempt"), "0 of 3");
    assert.equal(row("payload"), '{"a":1,"b":1}');
    const json = JSON.parse(
      (await naq("job", "show", "shown", "--queue", "work-show", "--json")).stdout,
    );
    assert.equal(json.id, "shown");
    assert.equal(json.state, "waiting");
  });

  await t.step("show --events prints the job's timeline; --json adds it as events", async () => {
    const queue = new Queue("work-timeline", { services });
    await queue.enqueue("add", { a: 1, b: 1 }, { jobId: "other" });
    await queue.enqueue("add", { a: 1, b: 2 }, { jobId: "timed", delay: "1h" });
    await queue.cancel("timed");
    await waitFor(
      "the stream to store the job's events",
      async () => (await queue.jobEvents("timed")).length === 2,
    );
    const plain = await naq("job", "show", "timed", "--queue", "work-timeline", "--events");
    assert.equal(plain.code, 0, plain.stderr);
    const lines = plain.stdout.trimEnd().split("\n");
    const timeline = lines.slice(lines.indexOf("events:") + 1);
    assert.equal(timeline.length, 2, plain.stdout);
    assert.match(
      timeline[0],
      /^ {2}\d{4}-\d\d-\d\dT\S+Z {2}enqueued {3}add {2}timed {2}attempt 0$/,
    );
    assert.match(timeline[1], /^ {2}\S+ {2}cancelled {2}add {2}timed {2}attempt 0$/);
    const json = JSON.parse(
      (await naq("job", "show", "timed", "--queue", "work-timeline", "--events", "--json"))
        .stdout,
    );
    assert.equal(json.state, "cancelled");
    assert.deepEqual(
      json.events.map((event: { type: string; jobId: string }) => [event.type, event.jobId]),
      [["enqueued", "timed"], ["cancelled", "timed"]],
    );
    const disabled = await runNaq(
      server.url,
      ["job", "show", "timed", "--queue", "work-timeline", "--events"],
      { env: { NAQ_EVENTS_ENABLED: "false" } },
    );
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /events are disabled \(events\.enabled: false\)/);
  });

  await t.step("show exits 1 for an unknown job, 2 without --queue", async () => {
    const queue = new Queue("work-unknown", { services });
    await queue.enqueue("add", { a: 1, b: 1 }, { jobId: "known" });
    const unknown = await naq("job", "show", "nobody", "--queue", "work-unknown");
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      "naq: Job nobody is not in queue work-unknown: it never was, or its record expired " +
        "(results.ttl)\n",
    );
    const noQueue = await naq("job", "show", "known");
    assert.equal(noQueue.code, 2);
    assert.match(noQueue.stderr, /required option '--queue <queue>' not specified/);
    const badQueue = await naq("job", "show", "known", "--queue", "a.b");
    assert.equal(badQueue.code, 2);
    assert.match(badQueue.stderr, /Cannot use "a\.b" as a queue name/);
  });

  await t.step("cancel cancels a waiting job, and exits 1 the second time", async () => {
    const queue = new Queue("work-cancel", { services });
    await queue.enqueue("add", { a: 1, b: 1 }, { jobId: "cancel-me" });
    const first = await naq("job", "cancel", "cancel-me", "--queue", "work-cancel", "--json");
    assert.equal(first.code, 0);
    assert.deepEqual(JSON.parse(first.stdout), {
      id: "cancel-me",
      queue: "work-cancel",
      state: "cancelled",
    });
    assert.equal((await queue.getJob("cancel-me"))?.state, "cancelled");
    const again = await naq("job", "cancel", "cancel-me", "--queue", "work-cancel");
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      "naq: Cannot cancel job cancel-me in queue work-cancel: it is cancelled already, and " +
        "only jobs that have not finished can be cancelled\n",
    );
  });

  await t.step("result waits and prints the result; exits 1 for a dead job", async () => {
    await using _worker = startWorker("work-result");
    const queue = new Queue("work-result", { services });
    await queue.enqueue("add", { a: 20, b: 22 }, { jobId: "answer" });
    const plain = await naq(
      "job",
      "result",
      "answer",
      "--queue",
      "work-result",
      "--timeout",
      "30s",
    );
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), { sum: 42 });
    const json = await naq("job", "result", "answer", "--queue", "work-result", "--json");
    assert.deepEqual(JSON.parse(json.stdout).result, { sum: 42 });

    await queue.enqueue("fail", {}, { jobId: "dead-one", attempts: 1 });
    const dead = await naq(
      "job",
      "result",
      "dead-one",
      "--queue",
      "work-result",
      "--timeout",
      "30s",
    );
    assert.equal(dead.code, 1);
    assert.match(
      dead.stderr,
      /^naq: Job dead-one \(task fail\) in queue work-result failed for good/,
    );
    const badTimeout = await naq(
      "job",
      "result",
      "answer",
      "--queue",
      "work-result",
      "--timeout",
      "x",
    );
    assert.equal(badTimeout.code, 2);
  });

  await t.step("retry runs a dead job again; a job that is not dead exits 1", async () => {
    await using _worker = startWorker("work-retry");
    const queue = new Queue("work-retry", { services });
    await queue.enqueue("fail", {}, { jobId: "dead-one", attempts: 1 });
    await assert.rejects(queue.result("dead-one", { timeout: "30s" }), /failed for good/);
    await queue.enqueue("add", { a: 1, b: 2 }, { jobId: "answer" });
    await queue.result("answer", { timeout: "30s" });

    const retried = await naq("job", "retry", "dead-one", "--queue", "work-retry", "--json");
    assert.equal(retried.code, 0);
    assert.equal(JSON.parse(retried.stdout).attempt, 0);
    // it fails again, for good
    await assert.rejects(queue.result("dead-one", { timeout: "30s" }), /failed for good/);
    const plain = await naq("job", "retry", "dead-one", "--queue", "work-retry");
    assert.equal(plain.stdout, "Job dead-one in queue work-retry is waiting again\n");
    const notDead = await naq("job", "retry", "answer", "--queue", "work-retry");
    assert.equal(notDead.code, 1);
    assert.equal(
      notDead.stderr,
      "naq: Cannot retry job answer in queue work-retry: it is completed, and only dead jobs " +
        "can be retried\n",
    );
  });
});
