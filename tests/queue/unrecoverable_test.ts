/**
 * A handler that throws `UnrecoverableError` ends its job dead at once, whatever attempts it
 * has left.
 *
 * @module
 */
import assert from "node:assert/strict";
import { defineTask, JobFailedError, UnrecoverableError } from "../../mod.ts";
import { within } from "../helpers/config.ts";
import { consumerState, setup } from "./_setup.ts";

Deno.test("a handler throwing UnrecoverableError with attempts: 5 runs once and ends dead", async () => {
  await using env = await setup();
  const attempts: number[] = [];
  const charge = defineTask("charge", (payload: { card: string }, ctx) => {
    attempts.push(ctx.attempt);
    if (!payload.card) throw new UnrecoverableError("no card to charge");
    return "charged";
  });
  env.worker([charge], 1);
  const handle = await env.queue.enqueue(charge, { card: "" }, { attempts: 5 });

  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.equal(error.code, "JOB_FAILED");
  assert.equal(error.jobId, handle.id);
  assert.match(error.message, /no card to charge/, "the message names the error");
  assert.deepEqual(error.attemptErrors, ["no card to charge"]);
  assert.equal((error.cause as Error).name, "UnrecoverableError");

  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.equal(job.attempt, 1);
  assert.equal(job.options.attempts, 5, "it had attempts left");
  assert.match(job.deadReason!, /no card to charge/);
  assert.deepEqual(job.errors.map((e) => [e.attempt, e.name, e.message]), [
    [1, "UnrecoverableError", "no card to charge"],
  ]);
  assert.equal("retryAt" in job, false, "no retry is due");

  // the worker runs one job at a time: a second attempt would come before the marker's
  const fine = await env.queue.enqueue(charge, { card: "4242" });
  assert.equal(await within("a good job", fine.result()), "charged");
  assert.deepEqual(attempts, [1, 1], "the dead job ran once; the good one once");
  assert.equal((await consumerState(env.server))?.num_redelivered ?? 0, 0);
  const stats = await env.queue.stats();
  assert.deepEqual([stats.dead, stats.failed, stats.completed], [1, 0, 1]);
  const [letter] = await env.queue.deadLetters();
  assert.equal(letter?.job?.id, handle.id);
});

Deno.test("an UnrecoverableError thrown on a later attempt ends the job then, without the rest", async () => {
  await using env = await setup();
  const attempts: number[] = [];
  const flaky = defineTask("flaky", (_: null, ctx) => {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) throw new Error("try again");
    throw new UnrecoverableError("the account is closed");
  });
  env.worker([flaky], 1);
  const handle = await env.queue.enqueue(flaky, null, { attempts: 5 });
  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.match(error.message, /the account is closed/);
  assert.deepEqual(error.attemptErrors, ["try again", "the account is closed"]);
  assert.deepEqual(attempts, [1, 2]);
  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.equal(job.attempt, 2);
});
