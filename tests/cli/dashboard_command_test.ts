import assert from "node:assert/strict";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, spawnNaq } from "./_naq.ts";

Deno.test("naq dashboard refuses to listen beyond localhost without a token", async () => {
  await using server = await startNatsServer();
  const refused = await runNaq(server.url, ["dashboard", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /^naq: Cannot serve the dashboard on 0\.0\.0\.0 without a token/);
  assert.match(refused.stderr, /--read-only/);
  assert.equal(refused.stdout, "");
});

Deno.test("naq dashboard serves on localhost, with a token from the environment, until SIGTERM", async () => {
  await using server = await startNatsServer();
  await using naq = await spawnNaq(server.url, ["dashboard", "--port", "0"], {
    env: { NAQ_DASHBOARD_TOKEN: "from-env" },
  });
  await naq.waitFor(/naq dashboard at (http:\/\/127\.0\.0\.1:\d+\/) \(actions need the token\)/);
  const url = naq.stdout().match(/at (\S+) /)![1];
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<h1>Queues<\/h1>/);
  const refused = await fetch(`${url}queues/jobs/pause`, {
    method: "POST",
    headers: { Origin: new URL(url).origin },
  });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  assert.equal(await naq.stop("SIGTERM"), 0);
});
