import assert from "node:assert/strict";
import { type JobHandle, Queue } from "../../src/queue.ts";
import type { ClaimedJob } from "../../src/services/business/jobs/claimed_job.ts";
import { WorkerJobs } from "../../src/services/business/jobs/worker_jobs.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { waitFor } from "../helpers/config.ts";
import { setup, silent } from "./_setup.ts";

const broken = defineTask("broken", (n: number) => {
  throw new Error(`job ${n} broke`);
});

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

Deno.test("deadLetters() lists dead jobs oldest first, with the job, reason and raw message", async () => {
  await using env = await setup();
  env.worker([broken], 1);
  const handles: JobHandle[] = [];
  for (const n of [1, 2, 3]) {
    const handle = await env.queue.enqueue(broken, n, { attempts: 1 });
    await handle.result({ timeout: "30s" }).catch(() => {});
    handles.push(handle);
  }
  const letters = await env.queue.deadLetters();
  assert.deepEqual(letters.map((letter) => letter.job?.id), handles.map((handle) => handle.id));
  assert.ok(letters[0].seq < letters[1].seq && letters[1].seq < letters[2].seq);
  letters.forEach((letter, i) => {
    assert.equal(letter.queue, "jobs");
    assert.equal(letter.reason, "failed 1 of 1 attempt");
    assert.equal(letter.job?.state, "dead");
    assert.deepEqual(letter.job?.errors.map((error) => error.message), [`job ${i + 1} broke`]);
    const raw = JSON.parse(new TextDecoder().decode(fromBase64(letter.raw)));
    assert.equal(raw.id, handles[i].id);
    assert.equal(raw.payload, i + 1);
  });
  assert.deepEqual(
    (await env.queue.deadLetters(2)).map((letter) => letter.seq),
    letters.slice(0, 2).map((letter) => letter.seq),
    "a limit keeps the oldest",
  );
});

Deno.test("deadLetters() of a queue with none is empty", async () => {
  await using env = await setup();
  assert.deepEqual(await env.queue.deadLetters(), []);
});

Deno.test("purgeDeadLetters() removes this queue's dead letters only, and says how many", async () => {
  await using env = await setup();
  env.worker([broken]);
  await using other = new Queue("other", { services: env.services });
  await using otherWorker = new Worker("other", [broken], {
    services: env.services,
    handleSignals: false,
    logger: silent,
  });
  void otherWorker.run();

  const ours = await Promise.all([1, 2].map((n) => env.queue.enqueue(broken, n, { attempts: 1 })));
  const theirs = await other.enqueue(broken, 3, { attempts: 1 });
  await Promise.allSettled([...ours, theirs].map((handle) => handle.result({ timeout: "30s" })));
  assert.equal((await env.queue.deadLetters()).length, 2);

  assert.equal(await env.queue.purgeDeadLetters(), 2);
  assert.deepEqual(await env.queue.deadLetters(), []);
  assert.deepEqual((await other.deadLetters()).map((letter) => letter.job?.id), [theirs.id]);
  assert.equal(await env.queue.purgeDeadLetters(), 0);
  // the job records stay: a purged dead letter does not bring a job back
  assert.equal((await env.queue.getJob(ours[0].id))?.state, "dead");
});

Deno.test("a dead job whose record expired is retried from its dead letter", async () => {
  await using env = await setup({ config: { results: { ttl: "1s" } } });
  let runs = 0;
  const flaky = defineTask("flaky", () => {
    runs += 1;
    if (runs === 1) throw new Error("first run breaks");
    return "second run works";
  });
  env.worker([flaky], 1);
  const handle = await env.queue.enqueue(flaky, null, { attempts: 1 });
  await assert.rejects(handle.result({ timeout: "30s" }), { name: "JobFailedError" });
  await waitFor("the record to expire", async () => (await env.queue.getJob(handle.id)) === null);
  await assert.rejects(env.queue.retry(handle.id), { code: "NOT_FOUND" });
  const [letter] = await env.queue.deadLetters();
  const revived = await env.queue.retryDeadLetter(letter);
  assert.equal(revived.state, "waiting");
  assert.equal(await handle.result({ timeout: "30s" }), "second run works");
  assert.deepEqual(await env.queue.deadLetters(), [], "its dead letter is gone");
});

Deno.test("a dead letter is withdrawn when the job moved on meanwhile", async () => {
  await using env = await setup();
  const handle = await env.queue.enqueue("lost", null);
  const jobs = await env.services.get(WorkerJobs);
  const consumer = await jobs.consumer("jobs");
  let claiming: Promise<ClaimedJob | null> | undefined;
  // the pull ends with its one message, or when the server lets it expire
  await consumer.pull(1, new AbortController().signal, (delivery) => {
    claiming = jobs.claim("jobs", delivery, "slow-worker", () => ({}));
  });
  const claimed = await claiming;
  assert.ok(claimed);
  // cancelled while the slow worker held it: the job's latest message is no longer its own
  assert.equal(await env.queue.cancel(handle.id), true);
  await claimed.deadLetter("gave up");
  assert.deepEqual(await env.queue.deadLetters(), []);
  assert.equal((await env.queue.getJob(handle.id))?.state, "cancelled");
});
