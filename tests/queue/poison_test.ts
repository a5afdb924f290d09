import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import type { StoredDeadLetter } from "../../src/services/business/dead_letter_service.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { JobService } from "../../src/services/business/jobs/job_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { consumerState, runMessages, type Setup, setup } from "./_setup.ts";

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** Publishes `body` as is on a job subject of the queue, as a foreign producer might. */
async function publishRaw(env: Setup, body: Uint8Array): Promise<void> {
  await (await env.services.get(JobService)).ensureQueue("jobs");
  const subject = wireNames(env.services.config.prefix)
    .jobSubject("jobs", crypto.randomUUID(), "run");
  await (await env.services.get(ConnectionService)).jetstream().publish(subject, body);
}

/**
 * Publishes `body`, then a good job, and waits for the good one: the worker survived the
 * poison. Returns the one dead letter, after checking nothing is left to redeliver.
 */
async function poisonThenGoodJob(env: Setup, body: Uint8Array): Promise<StoredDeadLetter> {
  const runs: string[] = [];
  const good = defineTask("good", (payload: string) => {
    runs.push(payload);
    return `ok ${payload}`;
  });
  const worker = env.worker([good], 1);
  await publishRaw(env, body);
  const next = await env.queue.enqueue(good, "after");
  assert.equal(await next.result({ timeout: "30s" }), "ok after", "the worker kept running");
  assert.deepEqual(runs, ["after"]);

  const letters = await env.queue.deadLetters();
  assert.equal(letters.length, 1, `one dead letter, got ${JSON.stringify(letters)}`);
  assert.equal(letters[0].queue, "jobs");
  assert.equal(letters[0].worker, worker.id);
  assert.deepEqual(fromBase64(letters[0].raw), body, "the dead letter keeps the exact bytes");
  await assertNothingPending(env);
  const consumer = (await consumerState(env.server))!;
  assert.equal(consumer.delivered.consumer_seq, 2, "the poison and the good job, once each");
  return letters[0];
}

/**
 * Every message was acknowledged: none is left in the queue to be redelivered, and the
 * server redelivered none.
 */
async function assertNothingPending(env: Setup): Promise<void> {
  // a worker acknowledges once the outcome is stored: the last ack may still be on its way
  await waitFor(
    "every delivered message to be acknowledged",
    async () => ((await consumerState(env.server))?.num_ack_pending ?? 0) === 0,
  );
  assert.equal(
    await runMessages(env.server),
    0,
    "the poison message was acknowledged, not left to retry",
  );
  assert.equal((await consumerState(env.server))?.num_redelivered ?? 0, 0, "none was redelivered");
}

Deno.test("a message that is not JSON is dead-lettered with its bytes, never retried", async () => {
  await using env = await setup();
  const body = new TextEncoder().encode("{this is not json");
  const letter = await poisonThenGoodJob(env, body);
  assert.match(letter.reason, /^the message is not JSON: /);
  assert.equal(letter.job, undefined, "there is no job to show");
});

Deno.test("bytes that are not UTF-8 are dead-lettered exactly as they were", async () => {
  await using env = await setup();
  const body = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x80, 0x7d]);
  const letter = await poisonThenGoodJob(env, body);
  assert.match(letter.reason, /^the message is not JSON: its bytes are not valid UTF-8$/);
});

Deno.test("JSON that is not a job is dead-lettered with a reason naming what is missing", async () => {
  await using env = await setup();
  const body = new TextEncoder().encode(JSON.stringify({ hello: "world" }));
  const letter = await poisonThenGoodJob(env, body);
  assert.match(letter.reason, /^the message is not a naq job: /);
  assert.match(letter.reason, /\btask: /);
  assert.match(letter.reason, /\bid: /);
});

Deno.test("a job envelope with an id a subject cannot hold is dead-lettered, saying so", async () => {
  await using env = await setup();
  const { job } = await env.queue.enqueue("good", null); // a valid envelope to copy from
  await env.queue.cancel(job.id);
  const envelope = { v: 1, ...job, id: "a.b", queue: undefined, state: undefined };
  const body = new TextEncoder().encode(JSON.stringify(envelope));
  const letter = await poisonThenGoodJob(env, body);
  assert.equal(letter.reason, 'the job id "a.b" is not valid');
});

Deno.test("a job for a task the worker does not know is dead-lettered, never run", async () => {
  await using env = await setup();
  const good = defineTask("good", () => "ok");
  const worker = env.worker([good], 1);
  const unknown = await env.queue.enqueue("no-such-task", { n: 1 }, { attempts: 3 });
  await assert.rejects(unknown.result({ timeout: "30s" }), { name: "JobFailedError" });
  assert.equal(await (await env.queue.enqueue(good, null)).result({ timeout: "30s" }), "ok");

  const job = (await env.queue.getJob(unknown.id))!;
  const reason = `no task named "no-such-task" is registered with worker ${worker.id}`;
  assert.equal(job.state, "dead");
  assert.equal(job.deadReason, reason);
  assert.equal(job.attempt, 0, "no attempt was made");
  assert.deepEqual(job.errors, []);

  const letters = await env.queue.deadLetters();
  assert.equal(letters.length, 1);
  assert.equal(letters[0].reason, reason);
  assert.equal(letters[0].job?.id, unknown.id);
  const raw = JSON.parse(new TextDecoder().decode(fromBase64(letters[0].raw)));
  assert.equal(raw.id, unknown.id);
  assert.equal(raw.task, "no-such-task");
  assert.deepEqual(raw.payload, { n: 1 });
  await assertNothingPending(env);
});

Deno.test("a payload over the server's max_payload is refused at enqueue, naming both sizes", async () => {
  await using env = await setup({ serverConfig: "max_payload: 4096" });
  const big = "x".repeat(5_000);
  await assert.rejects(
    env.queue.enqueue("upload", { big }, { jobId: "too-big" }),
    (err) => {
      assert.ok(err instanceof RangeError, `expected a RangeError, got ${err}`);
      assert.match(err.message, /Cannot enqueue job too-big \(task upload\)/);
      assert.match(err.message, /its message is 5\d{3} bytes/);
      assert.match(
        err.message,
        /over the \d+ bytes the server's max_payload of 4096 bytes leaves/,
      );
      return true;
    },
  );
  assert.equal(await env.queue.getJob("too-big"), null, "no record was stored");
  await assertNothingPending(env);
  assert.equal(Object.values(await env.queue.stats()).reduce((a, b) => a + b, 0), 0);
});

Deno.test("enqueueMany() with one payload too big stores none of the batch", async () => {
  await using env = await setup({ serverConfig: "max_payload: 4096" });
  await assert.rejects(
    env.queue.enqueueMany([
      { task: "small", payload: 1, options: { jobId: "small-1" } },
      { task: "big", payload: "x".repeat(5_000), options: { jobId: "big-1" } },
    ]),
    { name: "RangeError", message: /Cannot enqueue job big-1 .*max_payload of 4096 bytes/ },
  );
  assert.equal(await env.queue.getJob("small-1"), null);
  await assertNothingPending(env);
});

Deno.test("a payload just under max_payload is accepted and runs", async () => {
  await using env = await setup({ serverConfig: "max_payload: 4096" });
  const echo = defineTask("echo", (payload: string) => payload.length);
  env.worker([echo], 1);
  const handle = await env.queue.enqueue(echo, "y".repeat(2_200));
  assert.equal(await handle.result({ timeout: "30s" }), 2_200);
  const job = await env.queue.getJob(handle.id);
  assert.equal(job?.payload, "y".repeat(2_200), "its record, a message too, holds it whole");
});
