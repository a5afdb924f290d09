import assert from "node:assert/strict";
import { wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { type JsonBucket, KVStoreService } from "../../src/services/core/kv_store_service.ts";
import type { LeaseRecord } from "../../src/services/business/leader_lease.ts";
import { ServiceManager } from "../../src/services/core/service_manager.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { testConfig, waitFor } from "../helpers/config.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import { silent } from "../queue/_setup.ts";
import { waitForStats } from "../reliability/_helpers.ts";

const FIXTURE = new URL("./fixtures/scheduler_replica.ts", import.meta.url).pathname;
const LEASE_MS = 1_000;
// a follower takes over once it has seen the same lease for this long (LeaderLease)
const TAKEOVER_MS = LEASE_MS * 0.8;
const FIRINGS = 150; // of the delayed jobs, and again of the schedule: 300 in all
// 20 firings a second in all, which a leader on a loaded machine still fires on time
const SPACING_MS = 100;
const KILLS = 3;
// bounds on tests that have already failed, not on how fast a loaded machine is
const PATIENCE_MS = 60_000;

/** Scheduler replicas on one server, each in a process of its own, so it can be SIGKILLed. */
class Replicas implements AsyncDisposable {
  readonly #url: string;
  readonly #children = new Map<string, { child: Deno.ChildProcess; drained: Promise<void> }>();
  #spawned = 0;

  constructor(url: string) {
    this.#url = url;
  }

  has(id: string): boolean {
    return this.#children.has(id);
  }

  /** Starts a replica; resolves with its id once it competes for the lease. */
  async spawn(): Promise<string> {
    const id = `replica-${++this.#spawned}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", FIXTURE, this.#url, id, `${LEASE_MS}ms`],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    // read to the end, so that the pipe is closed when the process is gone
    const drained = (async () => {
      let text = "";
      for (let read = await lines.read(); !read.done; read = await lines.read()) {
        text += read.value;
        if (text.includes("ready\n")) ready();
      }
    })();
    this.#children.set(id, { child, drained });
    const readied = await Promise.race([isReady.then(() => true), drained.then(() => false)]);
    if (!readied) throw new Error(`scheduler ${id} exited before it was ready`);
    return id;
  }

  /** SIGKILLs a replica and waits until its process is gone. */
  async kill(id: string): Promise<void> {
    const entry = this.#children.get(id)!;
    this.#children.delete(id);
    entry.child.kill("SIGKILL");
    await Promise.all([entry.child.status, entry.drained]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([...this.#children.keys()].map((id) => this.kill(id)));
  }
}

/** Waits until a live replica other than `previous` holds the lease, and returns its record. */
async function nextLeader(
  lease: JsonBucket<LeaseRecord>,
  replicas: Replicas,
  previous?: string,
): Promise<LeaseRecord> {
  let record: LeaseRecord | undefined;
  await waitFor(previous ? `a leader other than ${previous}` : "a leader", async () => {
    record = (await lease.get("leader"))?.value;
    return record !== undefined && record.holder !== previous && replicas.has(record.holder);
  }, PATIENCE_MS);
  return record!;
}

/** Which firings have no job, for a failure message: by instant from `start`, and by id. */
async function missingFirings(queue: Queue, start: number): Promise<string> {
  const jobs = await queue.listJobs({ limit: 10 * FIRINGS });
  const beats = new Set(jobs.map((job) => job.schedule && job.schedule.at - start));
  const ids = new Set(jobs.map((job) => job.id));
  const all = Array.from({ length: FIRINGS }, (_, i) => i);
  const lostBeats = all.map((i) => i * SPACING_MS).filter((at) => !beats.has(at));
  const lostDelayed = all.filter((i) => !ids.has(`delayed-${i}`));
  return `no job for the firings of "beat" at ${lostBeats.join(", ") || "-"} ms, nor for ` +
    `delayed jobs ${lostDelayed.join(", ") || "-"}`;
}

for (const replicaCount of [2, 3]) {
  Deno.test(`${replicaCount} scheduler replicas: SIGKILLed leaders hand over within the lease, and no firing is lost or doubled`, async () => {
    await using server = await startNatsServer();
    const config = testConfig(server.url, { scheduler: { lease: `${LEASE_MS}ms` } });
    await using services = new ServiceManager(config);
    await using queue = new Queue("jobs", { services });
    const lease = await (await services.get(KVStoreService))
      .bucket<LeaseRecord>(wireNames("naq").schedulerBucket);
    await using replicas = new Replicas(server.url);
    await Promise.all(Array.from({ length: replicaCount }, () => replicas.spawn()));
    await nextLeader(lease, replicas);

    // the schedule first: one created after its start would begin at its next instant
    const start = Date.now() + 2_000;
    await queue.schedule("beat", "t", null, { every: SPACING_MS }, {
      startAt: start,
      endAt: start + (FIRINGS - 1) * SPACING_MS,
    });
    // (a delayed job enqueued after its time goes to the queue at once: one job all the same)
    await queue.enqueueMany(Array.from({ length: FIRINGS }, (_, i) => ({
      task: "t",
      payload: i,
      options: { runAt: start + i * SPACING_MS, jobId: `delayed-${i}` },
    })));

    // kill each leader while it fires, and start a replacement, so that as many replicas
    // compete at every kill
    const handovers: number[] = [];
    const kills: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const killed = await nextLeader(lease, replicas);
      // once it fires on time: it fired a beat due after it took the lease, and less than half
      // a lease ago. A firing more than two leases late counts as missed (downtime, as the
      // README says): a leader killed while it still catches up after the last failover would
      // add that failover's lateness to this one's
      await waitFor(`${killed.holder} to fire on time before kill ${kill}`, async () => {
        const lastRunAt = (await queue.getSchedule("beat"))?.lastRunAt ?? -Infinity;
        return lastRunAt >= Math.max(killed.since, Date.now() - LEASE_MS / 2);
      }, PATIENCE_MS);
      const killedAt = Date.now();
      kills.push(killedAt - start);
      await replicas.kill(killed.holder);
      const replacement = replicas.spawn();
      const next = await nextLeader(lease, replicas, killed.holder);
      // never while the dead leader might still have been firing: a follower waits TAKEOVER_MS
      // after it last saw the lease renewed (by its own clock; all are this machine's here)
      assert.ok(
        next.since >= killed.renewedAt + TAKEOVER_MS,
        `${next.holder} took over ${next.since - killed.renewedAt} ms after a renewal by ` +
          `${killed.holder}, sooner than the lease lets it`,
      );
      // when the new leader took the lease, by its own clock; not when this test saw it
      handovers.push(next.since - killedAt);
      await replacement;
    }

    await waitForStats(
      queue,
      "every firing",
      (stats) => stats.waiting === 2 * FIRINGS,
      PATIENCE_MS,
    ).catch(async (err) => {
      const missing = await missingFirings(queue, start);
      throw new Error(
        `${err.message}; ${missing}; killed at ${kills.join(", ")} ms from the first ` +
          `firing, handovers ${handovers.join(", ")} ms`,
      );
    });
    const jobs = await queue.listJobs({ limit: 10 * FIRINGS });
    assert.equal(jobs.length, 2 * FIRINGS);
    const beats = jobs.filter((job) => job.schedule?.id === "beat")
      .map((job) => job.schedule!.at - start)
      .sort((a, b) => a - b);
    assert.deepEqual(beats, Array.from({ length: FIRINGS }, (_, i) => i * SPACING_MS));
    const delayed = jobs.filter((job) => job.id.startsWith("delayed-"));
    assert.equal(delayed.length, FIRINGS);
    // one message per job in the queue: no firing was published twice
    const info = await (await services.get(StreamService)).info("naq_queue_jobs");
    assert.equal(info?.state.messages, 2 * FIRINGS);

    // and each message is the one its record stands for: a worker runs every job, once
    const runs = new Map<string, number>();
    const task = defineTask("t", (_payload: unknown, ctx) => {
      runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    });
    await using worker = new Worker("jobs", [task], {
      services,
      concurrency: 50,
      scheduler: false,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    await waitForStats(
      queue,
      "every firing to run",
      (stats) => stats.completed === 2 * FIRINGS,
      PATIENCE_MS,
    );
    assert.equal(runs.size, 2 * FIRINGS);
    assert.ok([...runs.values()].every((count) => count === 1), "a firing ran twice");

    // a dead leader is replaced within one lease of its last renewal, by the replicas' own
    // clocks. The bound here is two leases: past that, a firing counts as missed (downtime),
    // so that is what "no firing lost" rests on; a loaded machine adds milliseconds, not a lease
    for (const ms of handovers) assert.ok(ms <= 2 * LEASE_MS, `a handover took ${ms} ms`);
    console.log(`handovers after SIGKILL (lease ${LEASE_MS} ms): ${handovers.join(", ")} ms`);
  });
}
