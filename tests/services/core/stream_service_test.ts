import assert from "node:assert/strict";
import { ConfigError } from "../../../src/errors.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { StreamService, type StreamSpec } from "../../../src/services/core/stream_service.ts";
import { testConfig } from "../../helpers/config.ts";
import { startNatsCluster, startNatsServer } from "../../helpers/nats_server.ts";

const jobs: StreamSpec = { name: "jobs", subjects: ["jobs.>"], retention: "workqueue" };

Deno.test("ensure() creates a stream once, even under concurrent calls", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const streams = await services.get(StreamService);
  await Promise.all(Array.from({ length: 10 }, () => streams.ensure(jobs)));
  assert.equal((await streams.info("jobs"))?.config.retention, "workqueue");
  const jsz = await server.monitor<{ api: { total: number } }>("jsz");
  assert.ok(jsz.api.total <= 4, `the server saw ${jsz.api.total} API calls`);
});

Deno.test("ensure() is idempotent across managers and updates a changed stream", async () => {
  await using server = await startNatsServer();
  {
    await using services = new ServiceManager(testConfig(server.url));
    await (await services.get(StreamService)).ensure(jobs);
  }
  await using services = new ServiceManager(testConfig(server.url));
  const streams = await services.get(StreamService);
  await streams.ensure(jobs);
  const same = (await streams.info("jobs"))!;
  assert.equal(same.config.max_age, 0);
  await streams.ensure({ ...jobs, maxAgeMs: 60_000, maxBytes: 1_000_000 });
  const changed = (await streams.info("jobs"))!;
  assert.equal(changed.config.max_age, 60_000 * 1_000_000);
  assert.equal(changed.config.max_bytes, 1_000_000);
  assert.equal(changed.config.duplicate_window, 60_000 * 1_000_000, "capped at max age");
});

Deno.test("ensure() refuses to change an existing stream's retention", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const streams = await services.get(StreamService);
  await streams.ensure({ ...jobs, retention: "limits" });
  await assert.rejects(
    streams.ensure(jobs),
    (err) =>
      err instanceof ConfigError &&
      err.message === `Stream jobs exists with retention "limits", but naq needs "workqueue"; ` +
          `delete the stream or choose another prefix`,
  );
});

Deno.test("info() returns null for a stream that does not exist", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  assert.equal(await (await services.get(StreamService)).info("nope"), null);
});

Deno.test("ensure() replicates a stream across a 3-node cluster", async () => {
  await using cluster = await startNatsCluster(3);
  await using services = new ServiceManager(testConfig(cluster.urls));
  const streams = await services.get(StreamService);
  await streams.ensure({ ...jobs, replicas: 3 });
  const info = (await streams.info("jobs"))!;
  assert.equal(info.config.num_replicas, 3);
  assert.ok(info.cluster?.leader, "the stream has a leader");
  assert.equal(info.cluster?.replicas?.length, 2);
});
