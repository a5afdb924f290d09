import assert from "node:assert/strict";
import { Hono } from "hono";
import { createDashboard, TOKEN_HEADER } from "../../src/dashboard/mod.ts";
import { Queue } from "../../src/queue.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

/** This machine's first address that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address;
}

/** Sends raw HTTP/1.1 bytes (so the Host header is the sender's to choose); the status line. */
async function rawRequest(hostname: string, port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname, port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return text.split("\r\n")[0];
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "without a token, a client on another machine cannot act by sending Host: localhost",
  ignore: outsideAddress() === undefined,
  fn: async () => {
    await using server = await startNatsServer();
    await using services = new ServiceManager(testConfig(server.url));
    const queue = new Queue("mail", { services });
    await queue.enqueue("send", null);
    await using dashboard = createDashboard({ services, basePath: "/naq" });
    const app = new Hono();
    app.mount("/naq", dashboard.fetch, { replaceRequest: false });
    // an application listening beyond localhost, as Deno.serve does by default
    await using http = Deno.serve({ hostname: "0.0.0.0", port: 0, onListen() {} }, app.fetch);
    const status = await rawRequest(
      outsideAddress()!,
      http.addr.port,
      "POST /naq/queues/mail/pause HTTP/1.1\r\nHost: localhost\r\n" +
        `${TOKEN_HEADER}: anything\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    assert.match(status, / 403 /, "refused: the request came from beyond this machine");
    assert.equal(await queue.isPaused(), false);
    // from this machine it still works
    const local = await rawRequest(
      "127.0.0.1",
      http.addr.port,
      "POST /naq/queues/mail/pause HTTP/1.1\r\nHost: localhost\r\n" +
        `${TOKEN_HEADER}: anything\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    assert.match(local, / 303 /);
    assert.equal(await queue.isPaused(), true);
  },
});

Deno.test("an action's body is refused past a small limit, before it is read whole", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  await using dashboard = createDashboard({ services, token: "t0ken" });
  // 64 MiB of form, without the token: nothing of it should be held in memory
  const size = 64 * 1024 * 1024;
  let sent = 0;
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const response = await dashboard.fetch(
    new Request("http://127.0.0.1/queues/mail/pause", {
      method: "POST",
      headers: {
        Origin: "http://127.0.0.1",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body,
    }),
  );
  await response.body?.cancel();
  assert.equal(response.status, 413);
  assert.ok(sent < size, `read ${sent} of ${size} bytes`);
});
