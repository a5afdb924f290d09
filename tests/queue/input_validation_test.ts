import assert from "node:assert/strict";
import { MAX_PREFIX_LENGTH, MAX_QUEUE_NAME_LENGTH, wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { StreamService } from "../../src/services/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { setup, silent } from "./_setup.ts";

Deno.test("a queue name too long for NATS is refused at once, naming the limit", async () => {
  await using env = await setup();
  assert.throws(() => new Queue("q".repeat(10_000), { services: env.services }), {
    name: "TypeError",
    message: `Cannot use "${"q".repeat(40)}…" (10000 characters) as a queue name: use 1 to ` +
      `${MAX_QUEUE_NAME_LENGTH} letters, digits, "_" and "-" (so that its consumer's name fits ` +
      "NATS's limit of 255 characters)",
  });
});

Deno.test("the longest prefix and queue name run a job end to end", async () => {
  const prefix = "p".repeat(MAX_PREFIX_LENGTH);
  await using env = await setup({ config: { prefix } });
  const name = "q".repeat(MAX_QUEUE_NAME_LENGTH);
  const echo = defineTask("echo", (payload: string) => payload);
  await using queue = new Queue(name, { services: env.services });
  await using worker = new Worker(name, [echo], {
    services: env.services,
    handleSignals: false,
    logger: silent,
  });
  void worker.run();
  const handle = await queue.enqueue(echo, "hello");
  assert.equal(await handle.result({ timeout: "30s" }), "hello");
  const stream = await (await env.services.get(StreamService))
    .info(wireNames(prefix).queueStream(name));
  assert.equal(stream?.config.name.length, MAX_PREFIX_LENGTH + "_queue_".length + name.length);
});
