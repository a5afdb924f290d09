/**
 * The connection-reuse guard, for CI: 20 concurrent writes through one shared ServiceManager
 * open the connections of one manager, where a manager per write opens 20 times as many,
 * counted by the server (`/varz` total_connections). A count, not a time: a timed guard
 * fails on a busy machine. The speed ratio of bench/connection_reuse_bench.ts is printed
 * beside it as a figure.
 */
import { createConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import { ConnectionService, ServiceManager, StreamService } from "../src/services/mod.ts";
import { runBench } from "./_bench_report.ts";

const WRITES = 20;

async function write(services: ServiceManager): Promise<void> {
  const [streams, connection] = await Promise.all([
    services.get(StreamService),
    services.get(ConnectionService),
  ]);
  await streams.ensure({ name: "reuse", subjects: ["reuse.>"], retention: "limits" });
  await connection.jetstream().publish("reuse.write", "{}");
}

/** How many connections the server saw opened while `run` ran. */
async function connectionsOpened(
  server: Awaited<ReturnType<typeof startNatsServer>>,
  run: () => Promise<void>,
): Promise<number> {
  const total = async () =>
    (await server.monitor<{ total_connections: number }>("varz")).total_connections;
  const before = await total();
  await run();
  return await total() - before;
}

await using server = await startNatsServer();
const config = createConfig({ nats: { servers: [server.url] } });
const oneManager = await connectionsOpened(server, async () => {
  await using services = new ServiceManager(config);
  await write(services);
});
const shared = await connectionsOpened(server, async () => {
  await using services = new ServiceManager(config);
  await Promise.all(Array.from({ length: WRITES }, () => write(services)));
});
const perCall = await connectionsOpened(server, async () => {
  await Promise.all(Array.from({ length: WRITES }, async () => {
    await using services = new ServiceManager(config);
    await write(services);
  }));
});
console.log(
  `connection reuse: ${WRITES} writes opened ${shared} connection(s) through one shared ` +
    `ServiceManager, ${perCall} through a manager each (one manager opens ${oneManager})`,
);

const results = await runBench("./connection_reuse_bench.ts");
const sharedBench = results.find((result) => result.baseline)!;
const perCallBench = results.find((result) => !result.baseline)!;
console.log(
  `connection reuse, timed: sharing is ${(perCallBench.avgNs / sharedBench.avgNs).toFixed(1)}x ` +
    `faster (a figure, not a pass mark)`,
);

if (shared !== oneManager || perCall !== WRITES * oneManager) {
  console.error(
    `connection reuse: expected ${oneManager} and ${WRITES * oneManager} connections`,
  );
  Deno.exit(1);
}
