import assert from "node:assert/strict";
import { ErrorCode, isNaqError } from "../../src/errors.ts";
import { defineTask } from "../../src/task.ts";
import { setup } from "./_setup.ts";

Deno.test("retry() runs a dead job again from attempt 1 and removes its dead letter", async () => {
  await using env = await setup();
  let healthy = false;
  const attempts: number[] = [];
  const fragile = defineTask("fragile", (_: null, ctx) => {
    attempts.push(ctx.attempt);
    if (!healthy) throw new Error("downstream is down");
    return "delivered";
  });
  env.worker([fragile]);
  const handle = await env.queue.enqueue(fragile, null, { attempts: 2 });
  await assert.rejects(handle.result({ timeout: "30s" }), { name: "JobFailedError" });
  assert.equal((await env.queue.deadLetters()).length, 1);

  healthy = true;
  const revived = await env.queue.retry(handle.id);
  assert.equal(revived.id, handle.id);
  assert.equal(revived.state, "waiting");
  assert.equal(revived.attempt, 0);
  assert.equal("deadReason" in revived, false);
  assert.equal("finishedAt" in revived, false);

  assert.equal(await handle.result({ timeout: "30s" }), "delivered");
  assert.deepEqual(attempts, [1, 2, 1], "the retried job started again at attempt 1");
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "completed");
  assert.equal(job.attempt, 1);
  assert.equal("deadLetterSeq" in job, false);
  assert.deepEqual(await env.queue.deadLetters(), [], "its dead letter is gone");
});

Deno.test("a retried job that dies again has one dead letter, the new one", async () => {
  await using env = await setup();
  const hopeless = defineTask("hopeless", (_: null, ctx) => {
    throw new Error(`attempt ${ctx.attempt}`);
  });
  env.worker([hopeless]);
  const handle = await env.queue.enqueue(hopeless, null, { attempts: 1 });
  await assert.rejects(handle.result({ timeout: "30s" }), { name: "JobFailedError" });
  const [first] = await env.queue.deadLetters();
  await env.queue.retry(handle.id);
  await assert.rejects(handle.result({ timeout: "30s" }), { name: "JobFailedError" });
  const letters = await env.queue.deadLetters();
  assert.equal(letters.length, 1);
  assert.notEqual(letters[0].seq, first.seq);
  assert.equal(letters[0].job?.id, handle.id);
});

Deno.test("retry() of a job that is not dead throws a RangeError saying its state", async () => {
  await using env = await setup();
  const waiting = await env.queue.enqueue("t", null);
  await assert.rejects(env.queue.retry(waiting.id), {
    name: "RangeError",
    message: `Cannot retry job ${waiting.id} in queue jobs: it is waiting, ` +
      `and only dead jobs can be retried`,
  });
  const one = defineTask("one", () => 1);
  env.worker([one]);
  const done = await env.queue.enqueue(one, null);
  await done.result({ timeout: "30s" });
  await assert.rejects(env.queue.retry(done.id), {
    name: "RangeError",
    message: /it is completed, and only dead jobs can be retried/,
  });
  assert.equal((await env.queue.getJob(done.id))?.state, "completed");
});

Deno.test("retry() of an unknown job throws NOT_FOUND", async () => {
  await using env = await setup();
  await assert.rejects(env.queue.retry("ghost"), (err) => {
    assert.ok(isNaqError(err, ErrorCode.NotFound), `expected NOT_FOUND, got ${err}`);
    assert.match(err.message, /Job ghost is not in queue jobs/);
    return true;
  });
});
