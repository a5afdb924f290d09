import assert from "node:assert/strict";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { hasScript, runNaq, spawnNaq } from "./_naq.ts";

/** The permission flags `deno task naq` runs `cli.ts` with. */
function naqTaskFlags(): string[] {
  const words = denoJson.tasks.naq.split(" ");
  return words.slice(words.indexOf("run") + 1, words.indexOf("cli.ts"));
}

Deno.test({
  name:
    "a task lacking a permission fails its job naming the flag, on a terminal, and the others complete",
  ignore: !hasScript(),
  fn: async () => {
    assert.ok(naqTaskFlags().includes("--no-prompt"), "deno task naq never prompts");
    await using server = await startNatsServer();
    await using services = new ServiceManager(testConfig(server.url));
    // on a terminal, where Deno would ask for the permission and freeze the worker meanwhile
    await using worker = await spawnNaq(
      server.url,
      ["worker", "perms", "--tasks", "permission_tasks.ts", "--no-scheduler"],
      { permissions: naqTaskFlags(), terminal: true },
    );
    await worker.waitFor(/Ctrl-C to stop/);
    const queue = new Queue("perms", { services });
    const denied = await queue.enqueue("hostname", null, { jobId: "denied" });
    const sums = await Promise.all(
      [1, 2, 3].map((a) => queue.enqueue("add", { a, b: 1 }, { jobId: `sum-${a}` })),
    );
    await assert.rejects(denied.result({ timeout: "30s" }), /--allow-sys/);
    for (const [i, sum] of sums.entries()) {
      assert.deepEqual(await sum.result({ timeout: "30s" }), { sum: i + 2 });
    }
    const job = await queue.getJob("denied");
    assert.equal(job?.state, "dead");
    assert.match(job?.errors.at(-1)?.message ?? "", /run again with the --allow-sys flag/);
    await worker.waitFor(/perms hostname denied .*--allow-sys/);
    assert.doesNotMatch(worker.stdout(), /Allow\?/);
  },
});

Deno.test("a task module whose top level lacks a permission is a one-line error naming the flag", async () => {
  await using server = await startNatsServer();
  const { code, stderr } = await runNaq(
    server.url,
    ["worker", "perms-top", "--tasks", "top_level_sys_tasks.ts"],
    { permissions: naqTaskFlags() },
  );
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^naq: Cannot load the task module top_level_sys_tasks\.ts: Requires sys access to "hostname", run again with the --allow-sys flag\n$/,
  );
});
