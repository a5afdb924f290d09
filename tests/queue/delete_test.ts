import assert from "node:assert/strict";
import { defineTask } from "../../src/task.ts";
import { within } from "../helpers/config.ts";
import { setup } from "./_setup.ts";

const double = defineTask("double", (n: number) => n * 2);

Deno.test("a queue deleted under a running worker: jobs enqueued after run on that worker", async () => {
  await using env = await setup();
  env.worker([double]);
  const before = await env.queue.enqueue(double, 1);
  assert.equal(await within("the first job", before.result()), 2);
  const deleted = await env.queue.delete();
  assert.equal(deleted.stream, true);
  // the enqueue makes the stream again; the worker, its pulls failing, opens its consumer again
  const after = await env.queue.enqueue(double, 21);
  assert.equal(await within("a job enqueued after the delete", after.result()), 42);
});
