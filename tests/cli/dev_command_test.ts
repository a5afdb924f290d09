import assert from "node:assert/strict";
import { freePort } from "../helpers/nats_server.ts";
import { runNaq, spawnNaq } from "./_naq.ts";

Deno.test("naq dev starts a server, a worker and a scheduler; SIGINT stops them all and exits 0", async () => {
  const project = await Deno.makeTempDir({ prefix: "naq-dev-" });
  const url = `nats://127.0.0.1:${freePort()}`;
  const tasks = new URL("./fixtures/tasks.ts", import.meta.url).pathname;
  try {
    await using dev = await spawnNaq(url, ["dev", "sums", "--tasks", tasks], {
      cwd: project,
    });
    await dev.waitFor(
      /naq dev: started nats-server at nats:\/\/127\.0\.0\.1:\d+ \(data and log in \.naq\/\)/,
    );
    await dev.waitFor(
      /naq dev: worker and scheduler \S+ running add, fail on sums; Ctrl-C stops everything/,
    );
    const now = await runNaq(url, [
      "enqueue",
      "sums",
      "add",
      '{"a":1,"b":2}',
      "--wait",
      "--wait-timeout",
      "20s",
    ], { cwd: project });
    assert.equal(now.code, 0, now.stderr);
    assert.deepEqual(JSON.parse(now.stdout), { sum: 3 });
    const later = await runNaq(url, [
      "enqueue",
      "sums",
      "add",
      '{"a":2,"b":2}',
      "--delay",
      "500ms",
      "--wait",
      "--wait-timeout",
      "20s",
    ], { cwd: project });
    assert.deepEqual(JSON.parse(later.stdout), { sum: 4 }, later.stderr);
    assert.equal(await dev.stop("SIGINT"), 0);
    assert.match(dev.stdout(), /naq dev: stopped\n$/);
    const after = await runNaq(url, ["queues"], { cwd: project });
    assert.equal(after.code, 1, "the server stopped with it");
    assert.ok((await Deno.stat(`${project}/.naq/jetstream`)).isDirectory);
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});

Deno.test("naq dev without a new enough nats-server says how to get one, and exits 1", async () => {
  const url = `nats://127.0.0.1:${freePort()}`;
  const tasks = new URL("./fixtures/tasks.ts", import.meta.url).pathname;
  const dev = await runNaq(url, ["dev", "sums", "--tasks", tasks], {
    env: { NATS_SERVER_BIN: "/nonexistent/nats-server" },
  });
  assert.equal(dev.code, 1);
  assert.match(
    dev.stderr,
    /^naq: No nats-server 2\.12\.0 or newer was found \(\/nonexistent\/nats-server: not there\)\. NATS_SERVER_BIN names the only server looked at: point it at a nats-server of 2\.12\.0 or newer, or unset it/,
  );
});
