/**
 * The foundation demo: starts a throwaway nats-server, resolves the configuration, and shows
 * the service layer at work on one shared connection. The job-queue demo replaces it once
 * Queue and Worker exist.
 */
import { loadConfig } from "../src/config/mod.ts";
import { startNatsServer } from "../src/dev/nats_server.ts";
import {
  ConnectionService,
  KVStoreService,
  ServiceManager,
  StreamService,
} from "../src/services/mod.ts";

const say = (line: string) => console.log(`demo: ${line}`);

await using server = await startNatsServer();
say(`started nats-server with JetStream at ${server.url}`);

const config = await loadConfig({ file: false, overrides: { nats: { servers: [server.url] } } });
say(`configuration: prefix "${config.prefix}", worker concurrency ${config.worker.concurrency}`);

{
  await using services = new ServiceManager(config);
  const streams = await services.get(StreamService);
  const info = await streams.ensure({
    name: `${config.prefix}_demo`,
    subjects: [`${config.prefix}.demo.>`],
    retention: "workqueue",
  });
  say(`ensured work-queue stream ${info.config.name}`);

  const js = (await services.get(ConnectionService)).jetstream();
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => js.publish(`${config.prefix}.demo.job`, `{"n":${i}}`)),
  );
  say(
    `published 100 messages; the stream holds ${
      (await streams.info(info.config.name))?.state.messages
    }`,
  );

  const counters = await (await services.get(KVStoreService)).bucket<number>(
    `${config.prefix}_demo`,
  );
  const revision = await counters.put("runs", 1);
  const [first, second] = await Promise.all([
    counters.update("runs", 2, revision),
    counters.update("runs", 2, revision),
  ]);
  say(
    `two compare-and-swap writers at one revision: ${[first, second].filter(Boolean).length} won`,
  );
  say(`client connections open on the server: ${await server.connectionCount()}`);
}

await new Promise((resolve) => setTimeout(resolve, 100)); // let the server see the close
say(`after 'await using' ended: ${await server.connectionCount()} connections open`);
say("done");
