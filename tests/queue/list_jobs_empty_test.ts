/**
 * `listJobs()` of a queue whose stream exists but holds no job: found while writing the
 * acceptance tests of the job core (a worker creates the stream before any job is enqueued).
 *
 * @module
 */
import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { waitFor } from "../helpers/config.ts";
import { consumerState, setup } from "./_setup.ts";

Deno.test("listJobs() of a queue a worker opened before any job is empty, not an error", async () => {
  await using env = await setup();
  env.worker([defineTask("idle", () => null)], 1);
  await waitFor("the worker to open the queue", async () => !!(await consumerState(env.server)));
  assert.deepEqual(await env.queue.listJobs(), []);
  assert.deepEqual(await env.queue.listJobs({ state: "dead" }), []);
});

Deno.test("purge() of a queue a worker opened before any job cancels nothing, not an error", async () => {
  await using env = await setup();
  env.worker([defineTask("idle", () => null)], 1);
  await waitFor("the worker to open the queue", async () => !!(await consumerState(env.server)));
  assert.equal(await env.queue.purge(), 0);
});
