/**
 * The same JetStream write (ensure the stream, publish to it) through one shared
 * ServiceManager, and through a new manager per call (the pattern the service layer
 * replaces), on one server in one run. `deno task bench:check` prints the ratio.
 */
import { createConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { ConnectionService, ServiceManager, StreamService } from "../src/services/mod.ts";

const server = await startNatsServer();
// Deno.bench has no teardown hook; the process must not outlive the run
globalThis.addEventListener("unload", () => {
  if (server.pid) Deno.kill(server.pid, "SIGKILL");
  Deno.removeSync(server.storeDir.replace(/\/jetstream$/, ""), { recursive: true });
});

const config = createConfig({ nats: { servers: [server.url] } });
const payload = new TextEncoder().encode(JSON.stringify({ task: "noop", payload: {} }));
const stream = {
  name: "bench",
  subjects: ["bench.>"],
  retention: "limits",
  maxBytes: 64 * 1024 * 1024,
} as const;

/** What an enqueue does on the wire: make sure the stream exists, then publish to it. */
async function write(services: ServiceManager): Promise<void> {
  const [streams, connection] = await Promise.all([
    services.get(StreamService),
    services.get(ConnectionService),
  ]);
  await streams.ensure(stream);
  await connection.jetstream().publish("bench.write", payload);
}

// writes arrive concurrently, as they do from a server handling requests
const CONCURRENT_WRITES = 20;
const shared = new ServiceManager(config);
await write(shared);

Deno.bench(
  `${CONCURRENT_WRITES} writes through one shared ServiceManager`,
  { group: "jetstream write", baseline: true },
  async () => {
    await Promise.all(Array.from({ length: CONCURRENT_WRITES }, () => write(shared)));
  },
);

Deno.bench(
  `${CONCURRENT_WRITES} writes, each through a new ServiceManager`,
  { group: "jetstream write" },
  async () => {
    await Promise.all(Array.from({ length: CONCURRENT_WRITES }, async () => {
      await using services = new ServiceManager(config);
      await write(services);
    }));
  },
);
