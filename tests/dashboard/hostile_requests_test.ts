import assert from "node:assert/strict";
import { createDashboard } from "../../src/dashboard/mod.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { testConfig } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";

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
