import assert from "node:assert/strict";
import { Hono } from "hono";
import { createDashboard, TOKEN_HEADER } from "../../src/dashboard/mod.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

Deno.test("the dashboard mounts under a base path in a Hono app, as the README shows", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("mail", { services });
  await queue.enqueue("send", { to: "a@example.com" });
  await using dashboard = createDashboard({ services, basePath: "/naq", token: "t0ken" });
  const app = new Hono();
  app.get("/", (c) => c.text("my app"));
  app.mount("/naq", dashboard.fetch, { replaceRequest: false });
  await using http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const origin = `http://127.0.0.1:${http.addr.port}`;

  assert.equal(await (await fetch(`${origin}/`)).text(), "my app");
  const home = await fetch(`${origin}/naq/`);
  assert.equal(home.status, 200);
  const text = await home.text();
  assert.match(text, /href="\/naq\/queues\/mail"/, "links start with the base path");
  assert.match(text, /href="\/naq\/assets\/dashboard\.css"/);
  assert.match(home.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  assert.equal(
    (await fetch(`${origin}/naq/assets/dashboard.js`)).headers.get("content-type"),
    "text/javascript; charset=utf-8",
  );

  const paused = await fetch(`${origin}/naq/queues/mail/pause`, {
    method: "POST",
    headers: { Origin: origin, [TOKEN_HEADER]: "t0ken" },
    redirect: "manual",
  });
  assert.equal(paused.status, 303);
  assert.match(paused.headers.get("location") ?? "", /^\/naq\/queues\/mail\?notice=Paused/);
  await paused.body?.cancel();
  assert.equal(await queue.isPaused(), true);
  const form = await fetch(`${origin}/naq/queues/mail/resume`, {
    method: "POST",
    headers: { Origin: origin, "Content-Type": "application/x-www-form-urlencoded" },
    body: "token=t0ken",
    redirect: "manual",
  });
  assert.equal(form.status, 303, "the token as a form field");
  await form.body?.cancel();
  assert.equal(await queue.isPaused(), false);
  // a script (curl) sends no Origin: the header token is enough
  const scripted = await fetch(`${origin}/naq/queues/mail/pause`, {
    method: "POST",
    headers: { [TOKEN_HEADER]: "t0ken" },
    redirect: "manual",
  });
  assert.equal(scripted.status, 303);
  await scripted.body?.cancel();
  assert.equal(await queue.isPaused(), true);
});

Deno.test("without a token actions answer only a localhost Host; read-only refuses them all", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const queue = new Queue("mail", { services });
  await queue.enqueue("send", null);
  await using open = createDashboard({ services });
  const pause = (host: string) =>
    open.fetch(
      new Request(`http://${host}/queues/mail/pause`, {
        method: "POST",
        headers: { Origin: `http://${host}` },
      }),
    );
  const rebound = await pause("evil.example:8787");
  assert.equal(rebound.status, 403);
  assert.match(await rebound.text(), /only on localhost/);
  assert.equal(await queue.isPaused(), false);
  const local = await pause("127.0.0.1:8787");
  assert.equal(local.status, 303);
  assert.equal(await queue.isPaused(), true);

  await using readOnly = createDashboard({ services, readOnly: true, token: "t" });
  const page = await readOnly.fetch(new Request("http://127.0.0.1/queues/mail"));
  const html = await page.text();
  assert.match(html, /Queue mail/);
  assert.doesNotMatch(html, /method="post"/, "no action buttons");
  const refused = await readOnly.fetch(
    new Request("http://127.0.0.1/queues/mail/resume", {
      method: "POST",
      headers: { Origin: "http://127.0.0.1", [TOKEN_HEADER]: "t" },
    }),
  );
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /read-only/);
  assert.equal(await queue.isPaused(), true);
});

Deno.test("createDashboard() refuses a base path that is not one", () => {
  assert.throws(
    () => createDashboard({ config: testConfig("nats://127.0.0.1:1"), basePath: "naq/" }),
    /^TypeError: Cannot mount the dashboard at "naq\/": give a path such as "\/naq"/,
  );
});
