import assert from "node:assert/strict";
import type { JsMsg } from "@nats-io/jetstream";
import { wireNames } from "../../src/core/names.ts";
import type { WorkerEntry } from "../../src/core/worker_entry.ts";
import { Queue } from "../../src/queue.ts";
import { WorkerRegistry } from "../../src/services/business/worker_registry.ts";
import { ConnectionService } from "../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { runNaq, type RunningNaq, spawnNaq } from "./_naq.ts";

const HEARTBEAT_MS = 1_000;
// how long after its entry's time to live the server may take to remove it: its expiry
// timer, on a loaded machine
const EXPIRY_SLACK_MS = 1_500;

/** The permission flags `deno task naq` runs `cli.ts` with: no `--allow-sys`. */
function naqTaskFlags(): string[] {
  const words = denoJson.tasks.naq.split(" ");
  return words.slice(words.indexOf("run") + 1, words.indexOf("cli.ts"));
}

/**
 * Starts `naq worker reg` on the slow task (it runs until cancelled), with `-A` or the
 * flags of `deno task naq`; returns it and its id.
 */
async function startWorker(
  url: string,
  permissions?: string[],
): Promise<{ process: RunningNaq; id: string }> {
  const process = await spawnNaq(url, [
    "worker",
    "reg",
    "--tasks",
    "slow_tasks.ts",
    "--concurrency",
    "1",
    "--no-scheduler",
    "--shutdown-timeout",
    "10m",
  ], { env: { NAQ_WORKER_HEARTBEAT: `${HEARTBEAT_MS}ms` }, permissions });
  await process.waitFor(/Ctrl-C to stop/);
  return { process, id: /naq worker (\S+): running/.exec(process.stdout())![1] };
}

/** Every message stored for one key, from now on, with the time the server stored it. */
async function followKey(services: ServiceManager, key: string) {
  const connection = await services.get(ConnectionService);
  const bucket = wireNames(services.config.prefix).workersBucket;
  const consumer = await connection.jetstream().consumers.get(`KV_${bucket}`, {
    filter_subjects: [`$KV.${bucket}.${key}`],
  });
  const seen: { headers: Record<string, string>; at: number }[] = [];
  const messages = await consumer.consume();
  (async () => {
    for await (const message of messages as AsyncIterable<JsMsg>) {
      const headers = Object.fromEntries(
        [...message.headers?.keys() ?? []].map((name) => [name, message.headers!.get(name)]),
      );
      seen.push({ headers, at: message.info.timestampNanos / 1e6 });
    }
  })();
  return { seen, stop: () => messages.stop() };
}

Deno.test("naq workers lists the workers of three processes with their jobs; a killed one expires within two heartbeats, a stopped one goes at once", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(
    testConfig(server.url, { worker: { heartbeat: HEARTBEAT_MS } }),
  );
  const registry = await services.get(WorkerRegistry);
  const queue = new Queue("reg", { services });
  const started = await Promise.all([
    startWorker(server.url),
    startWorker(server.url),
    startWorker(server.url, naqTaskFlags()),
  ]);
  await using _a = started[0].process;
  await using _b = started[1].process;
  await using _c = started[2].process;
  const [killed, stopped, kept] = started;
  for (const jobId of ["s1", "s2", "s3"]) await queue.enqueue("slow", null, { jobId });
  // each runs one: concurrency 1
  await waitFor("each worker to run a job", async () => {
    const entries = await registry.list({ queue: "reg" });
    return entries.length === 3 && entries.every((entry) => entry.running.length === 1);
  });

  const listed = await runNaq(server.url, ["workers", "--json"]);
  assert.equal(listed.code, 0, listed.stderr);
  const entries: WorkerEntry[] = JSON.parse(listed.stdout);
  assert.deepEqual(
    entries.map((entry) => entry.id).sort(),
    started.map((worker) => worker.id).sort(),
  );
  assert.equal(new Set(entries.map((entry) => entry.pid)).size, 3);
  assert.ok(entries.every((entry) => entry.pid !== Deno.pid));
  for (const entry of entries) {
    assert.deepEqual(
      [entry.kind, entry.state, entry.queues, entry.tasks, entry.concurrency],
      ["worker", "running", ["reg"], ["slow"], 1],
    );
  }
  assert.deepEqual(entries.flatMap((entry) => entry.running.map((job) => job.jobId)).sort(), [
    "s1",
    "s2",
    "s3",
  ]);
  // the machine's name where the process may read it, else its address as the server sees it
  assert.deepEqual(
    started.map((worker) => entries.find((entry) => entry.id === worker.id)!.host),
    [Deno.hostname(), Deno.hostname(), "127.0.0.1"],
  );
  const jobOf = (id: string) => entries.find((entry) => entry.id === id)!.running[0].jobId;

  const table = await runNaq(server.url, ["workers"]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.split("\n");
  assert.match(
    lines[0],
    /^KIND +ID +HOST +PID +STATE +QUEUES +RUNNING +STARTED +HEARTBEAT +VERSION$/,
  );
  for (const { id } of started) {
    assert.ok(
      lines.some((line) => new RegExp(`^worker +${id} +\\S+ +\\d+ +running +reg +1/1 `).test(line)),
      table.stdout,
    );
    assert.ok(
      lines.some((line) => new RegExp(`^${id} +reg +slow +${jobOf(id)} +`).test(line)),
      table.stdout,
    );
  }
  assert.ok(lines.includes("Running jobs:"), table.stdout);
  const other = await runNaq(server.url, ["workers", "--queue", "other"]);
  assert.equal(other.stdout, "No worker is taking jobs from queue other\n");

  // SIGKILLed: nothing removes its entry but its time to live, two heartbeats from its last write
  const key = wireNames(services.config.prefix).workerKey("worker", killed.id);
  const history = await followKey(services, key);
  await waitFor("the consumer to see the entry", () => history.seen.length > 0);
  assert.equal(await killed.process.stop("SIGKILL"), 137);
  await waitFor(
    "the server to expire the killed worker's entry",
    () => history.seen.some((message) => "Nats-Marker-Reason" in message.headers),
  );
  history.stop();
  const marker = history.seen.at(-1)!;
  const lastWrite = history.seen.at(-2)!;
  assert.equal(marker.headers["Nats-Marker-Reason"], "MaxAge"); // expired, not removed
  assert.equal(lastWrite.headers["Nats-TTL"], `${(2 * HEARTBEAT_MS) / 1_000}s`);
  const lived = marker.at - lastWrite.at;
  assert.ok(
    lived >= 2 * HEARTBEAT_MS - 50 && lived <= 2 * HEARTBEAT_MS + EXPIRY_SLACK_MS,
    `the entry lived ${lived} ms after its last write`,
  );
  assert.equal(await registry.get("worker", killed.id), null);

  // stopped gracefully: draining while its job runs, gone the moment the process exits
  stopped.process.kill("SIGTERM");
  await waitFor(
    "the stopping worker to say it drains",
    async () => (await registry.get("worker", stopped.id))?.state === "draining",
  );
  assert.equal(await queue.cancel(jobOf(stopped.id)), true);
  assert.equal(await stopped.process.exited(), 0);
  assert.equal(await registry.get("worker", stopped.id), null);

  const left = await runNaq(server.url, ["workers", "--json"]);
  assert.deepEqual(JSON.parse(left.stdout).map((entry: WorkerEntry) => entry.id), [kept.id]);
});
