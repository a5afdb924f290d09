/**
 * Records too large for the server: a job whose result, or whose payload with its errors,
 * does not fit in `max_payload` still ends somewhere a user can see, after its attempts,
 * never retried forever nor left active.
 *
 * @module
 */
import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { JobFailedError } from "../../src/errors.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { defineTask } from "../../src/task.ts";
import { waitFor, within } from "../helpers/config.ts";
import { consumerState, runMessages, type Setup, setup } from "./_setup.ts";
import { inState } from "../helpers/in_state.ts";

const MAX_PAYLOAD = 65_536;
const SERVER = `max_payload: ${MAX_PAYLOAD}`;
// short, so that a message left unacknowledged comes back (and shows) within seconds
const CONFIG = { queueDefaults: { ackWait: "2s", backoff: { delay: 20, jitter: 0 } } };

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** Waits until the queue holds nothing to run or running, and nothing unacknowledged. */
async function assertNothingLeft(env: Setup): Promise<void> {
  await waitFor(
    "every delivered message to be acknowledged",
    async () => ((await consumerState(env.server))?.num_ack_pending ?? 0) === 0,
  );
  assert.equal(await runMessages(env.server), 0, "no job message is left to run again");
}

/**
 * Runs a marker job on the worker (concurrency 1) and checks `runs()` did not move meanwhile:
 * nothing of the oversized job is still being retried.
 */
async function assertNotRetriedAgain(env: Setup, runs: () => number): Promise<void> {
  const before = runs();
  const marker = await env.queue.enqueue("marker", null);
  assert.equal(await within("the marker", marker.result()), "marked");
  assert.equal(runs(), before, "the job ran again after it was dead");
}

const markerTask = defineTask("marker", () => "marked");

/**
 * Collects the bodies of the job's run and retry messages as they pass on the wire, until
 * disposed.
 */
async function watchJobMessages(
  env: Setup,
  jobId: string,
): Promise<{ readonly bodies: Uint8Array[] } & Disposable> {
  const names = wireNames(env.services.config.prefix);
  const nc = (await env.services.get(ConnectionService)).nc;
  const bodies: Uint8Array[] = [];
  const subscription = nc.subscribe(names.jobSubjects("jobs", jobId), {
    callback: (err, message) => {
      if (!err && /\.(run|retry)$/.test(message.subject)) bodies.push(message.data);
    },
  });
  await nc.flush(); // the server has the subscription before the job is enqueued
  return { bodies, [Symbol.dispose]: () => subscription.unsubscribe() };
}

Deno.test("a result over max_payload fails each attempt saying it is too large, then the job is dead", async () => {
  await using env = await setup({ serverConfig: SERVER, config: CONFIG });
  let runs = 0;
  const huge = defineTask("huge", () => {
    runs += 1;
    return "r".repeat(MAX_PAYLOAD + 4_000);
  });
  env.worker([huge, markerTask], 1);
  const handle = await env.queue.enqueue(huge, null, { attempts: 3 });

  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.equal(error.attemptErrors.length, 3, `one error per attempt: ${error.attemptErrors}`);
  for (const message of error.attemptErrors) {
    assert.match(message, /result/);
    assert.match(message, /over the \d+ bytes the server's max_payload leaves for it/);
  }
  assert.match(error.message, /failed 3 of 3 attempts/);
  assert.equal(runs, 3, "retried per attempts, no more");

  const job = (await env.queue.getJob(handle.id))!;
  assert.equal(job.state, "dead");
  assert.equal(job.attempt, 3);
  assert.equal(job.deadReason, "failed 3 of 3 attempts");
  assert.equal("result" in job, false);
  await assertNothingLeft(env);
  await assertNotRetriedAgain(env, () => runs);
  assert.equal((await env.queue.deadLetters()).length, 1);
});

Deno.test("a result that fits only without the payload fails the attempt as too large", async () => {
  await using env = await setup({ serverConfig: SERVER, config: CONFIG });
  let runs = 0;
  // each fits the server alone; the job's record holds both
  const echo = defineTask("echo", (payload: string) => {
    runs += 1;
    return payload.toUpperCase();
  });
  env.worker([echo, markerTask], 1);
  const handle = await env.queue.enqueue(echo, "p".repeat(40_000), { attempts: 2 });

  const error = await within("the job to end", handle.result().then(() => null, (err) => err));
  assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
  assert.deepEqual(error.attemptErrors.map((message) => /max_payload/.test(message)), [
    true,
    true,
  ]);
  assert.equal(runs, 2);
  assert.equal((await env.queue.getJob(handle.id))?.state, "dead");
  await assertNothingLeft(env);
  await assertNotRetriedAgain(env, () => runs);
});

Deno.test("a result whose record is just under max_payload, but over it with the message's headers, fails as too large", async () => {
  await using env = await setup({ serverConfig: SERVER, config: CONFIG });
  let runs = 0;
  let resultLength = 0;
  const sized = defineTask("sized", () => {
    runs += 1;
    return "s".repeat(resultLength);
  });
  env.worker([sized, markerTask], 1);
  // the same job with an empty result: its record's size, less the result
  const probe = await env.queue.enqueue(sized, null, { jobId: "probe-00000", attempts: 1 });
  assert.equal(await within("the probe", probe.result()), "");
  const probeRecord = (await env.queue.getJob(probe.id))!;
  const base = new TextEncoder().encode(JSON.stringify(probeRecord)).length;
  // the record body is a few bytes under max_payload: its headers (attempt, notify subject,
  // expected sequence, message id, TTL) take it over
  resultLength = MAX_PAYLOAD - base - 16;
  runs = 0;

  const handle = await env.queue.enqueue(sized, null, { jobId: "edge-000000", attempts: 1 });
  const error = await within(
    "the job to end (a record the server refuses, once its headers are counted)",
    handle.result().then((value) => ({ value }), (err) => err),
    60_000,
  );
  if (!(error instanceof JobFailedError)) {
    // it may legitimately be stored: then it must be whole and completed, run once
    assert.equal(
      runs,
      1,
      `ran ${runs} times; result() gave ${JSON.stringify(error)?.slice(0, 200)}`,
    );
    const job = (await env.queue.getJob(handle.id))!;
    assert.equal(job.state, "completed");
    assert.equal((job.result as string).length, resultLength);
    return;
  }
  const job = (await env.queue.getJob(handle.id))!;
  // run once, failed as too large: not redelivered as if its worker had died
  assert.deepEqual({
    runs,
    state: job.state,
    deadReason: job.state === "dead" ? job.deadReason : undefined,
    attemptErrors: error.attemptErrors.map((message) => /max_payload/.test(message)),
  }, {
    runs: 1,
    state: "dead",
    deadReason: "failed 1 of 1 attempt",
    attemptErrors: [true],
  });
  await assertNothingLeft(env);
  await assertNotRetriedAgain(env, () => runs);
});

const NEAR_LIMIT = [
  { attempts: 1, size: MAX_PAYLOAD - 5_000, what: "near max_payload" },
  { attempts: 3, size: MAX_PAYLOAD - 5_000, what: "near max_payload" },
  // three capped errors, each kept in the last message and again beside it in the dead letter
  { attempts: 3, size: Math.round(MAX_PAYLOAD * 0.55), what: "of 55% of max_payload" },
];
for (const { attempts, size, what } of NEAR_LIMIT) {
  Deno.test(`a payload ${what} failing ${attempts} of ${attempts} attempts with a long stack ends dead, its letter holding the message's bytes`, async () => {
    await using env = await setup({ serverConfig: SERVER, config: CONFIG });
    let runs = 0;
    const payload = { blob: "b".repeat(size) };
    const longStack = defineTask("long-stack", (_: typeof payload) => {
      runs += 1;
      const error = new Error(`broke: ${"m".repeat(10_000)}`);
      error.stack = `Error: broke\n${"    at deep (file:///deep.ts:1:1)\n".repeat(2_000)}`;
      throw error;
    });
    env.worker([longStack, markerTask], 1);
    const jobId = `near-limit-${attempts}-${size}`;
    using watched = await watchJobMessages(env, jobId);
    const { bodies } = watched;
    const handle = await env.queue.enqueue(longStack, payload, { jobId, attempts });

    const error = await within(
      "the job to end",
      handle.result().then(() => null, (err) => err),
      60_000,
    );
    assert.ok(error instanceof JobFailedError, `result() rejected with ${error}`);
    const job = (await env.queue.getJob(handle.id))!;
    const reason = `failed ${attempts} of ${attempts} attempt${attempts > 1 ? "s" : ""}`;
    // what a user sees of the job, in one comparison so that a failure shows all of it
    assert.deepEqual({
      runs,
      state: job.state,
      attempt: job.attempt,
      deadReason: job.state === "dead" ? job.deadReason : undefined,
      errors: job.errors.length,
      attemptErrors: error.attemptErrors.length,
      resultSays: error.message.includes(reason),
    }, {
      runs: attempts,
      state: "dead",
      attempt: attempts,
      deadReason: reason,
      errors: attempts,
      attemptErrors: attempts,
      resultSays: true,
    });

    const letters = await env.queue.deadLetters();
    assert.equal(letters.length, 1, "one dead letter");
    const [letter] = letters;
    assert.equal(letter.job?.id, jobId);
    assert.equal(letter.reason, inState(job, "dead").deadReason);
    assert.ok(bodies.length >= 1, "the job's messages were seen");
    // the letter keeps the bytes of the message the last attempt ran from, exactly
    assert.deepEqual(fromBase64(letter.raw), new Uint8Array(bodies.at(-1)!));
    const raw = JSON.parse(new TextDecoder().decode(fromBase64(letter.raw)));
    assert.equal(raw.id, jobId);
    assert.deepEqual(raw.payload, payload);
    assert.deepEqual(letter.job?.payload, payload, "the letter's job shows the payload");
    await assertNothingLeft(env);
    await assertNotRetriedAgain(env, () => runs);
  });
}
