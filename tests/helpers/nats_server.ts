/**
 * Real nats-server processes for integration tests: one server, or a routed cluster.
 *
 * @module
 */
import { freePort, type NatsServer, startNatsServer } from "../../src/dev/nats_server.ts";
import { waitFor } from "./config.ts";

export { freePort, type NatsServer, startNatsServer };

/** A routed JetStream cluster; `await using` stops every node. */
export interface NatsCluster extends AsyncDisposable {
  readonly servers: readonly NatsServer[];
  /** Every node's client URL. */
  readonly urls: string[];
}

/**
 * Starts `size` routed JetStream servers on loopback and waits until a JetStream meta leader
 * is elected, so that replicated streams can be created at once.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const routePorts = Array.from({ length: size }, () => freePort());
  const routes = routePorts.map((port) => `"nats-route://127.0.0.1:${port}"`).join(", ");
  const servers = await Promise.all(routePorts.map((routePort, i) =>
    startNatsServer({
      name: `n${i + 1}`,
      extraConfig: `cluster { name: "naq-test", listen: "127.0.0.1:${routePort}", ` +
        `routes: [${routes}] }`,
      // a node is only healthy once it has found the others and a meta leader
      readyTimeoutMs: 30_000,
    })
  ));
  const cluster: NatsCluster = {
    servers,
    urls: servers.map((server) => server.url),
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((server) => server[Symbol.asyncDispose]()));
    },
  };
  try {
    await waitForMetaLeader(servers);
  } catch (err) {
    await cluster[Symbol.asyncDispose]();
    throw err;
  }
  return cluster;
}

/**
 * Waits until a meta leader is elected and sees every other node as current: only then can
 * a stream with as many replicas as nodes be placed ("no suitable peers" otherwise). Only
 * the leader tracks its peers, so each node is asked whether it leads; node i is `n{i+1}`.
 */
export async function waitForMetaLeader(servers: readonly NatsServer[]): Promise<void> {
  await waitFor(`a JetStream meta leader with ${servers.length - 1} current peers`, async () => {
    const views = await Promise.all(servers.map((server) =>
      server.monitor<{
        meta_cluster?: { leader?: string; replicas?: { current?: boolean; offline?: boolean }[] };
      }>("jsz").then((jsz) => jsz.meta_cluster, () => undefined)
    ));
    return views.some((meta, i) =>
      meta?.leader === `n${i + 1}` &&
      (meta.replicas ?? []).filter((peer) => peer.current && !peer.offline).length ===
        servers.length - 1
    );
  }, 60_000);
}

/** How many consumers the server reports on `stream`, from `/jsz`; undefined when no stream. */
export async function consumerCount(
  server: NatsServer,
  stream: string,
): Promise<number | undefined> {
  const jsz = await server.monitor<{
    account_details?: { stream_detail?: { name: string; state: { consumer_count: number } }[] }[];
  }>("jsz?streams=true");
  const streams = jsz.account_details?.flatMap((account) => account.stream_detail ?? []) ?? [];
  return streams.find((detail) => detail.name === stream)?.state.consumer_count;
}
