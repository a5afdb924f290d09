/**
 * Shared pieces of the reliability tests: a silent worker logger, waiting on queue stats, what
 * the server says of a queue, and a driven clock that tells who sleeps on it.
 *
 * @module
 */
import { wireNames } from "../../src/core/names.ts";
import type { QueueStats } from "../../src/services/business/jobs/job_service.ts";
import type { Queue } from "../../src/queue.ts";
import type { Worker, WorkerLogger } from "../../src/worker.ts";
import { settleAdvancing, waitFor } from "../helpers/config.ts";
import { ManualClock } from "../helpers/manual_clock.ts";
import type { NatsServer } from "../helpers/nats_server.ts";

/** Keeps job outcome lines out of the test output; errors still show. */
export const silentLogger: WorkerLogger = { info() {}, warn() {}, error: console.error };

/**
 * Polls `queue.stats()` until `done` says so, or fails after `timeoutMs` with the last counts.
 * A failing `stats()` (a cluster electing a leader) is retried until the deadline.
 *
 * @returns the counts that satisfied `done`
 */
export async function waitForStats(
  queue: Queue,
  what: string,
  done: (stats: QueueStats) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<QueueStats> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let last: string;
    try {
      const stats = await queue.stats();
      if (done(stats)) return stats;
      last = `stats: ${JSON.stringify(stats)}`;
    } catch (err) {
      last = `stats() failed: ${err}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** What the server holds of a queue: its work-queue stream and its workers' consumer. */
export interface QueueOnServer {
  /** Job messages to run or running: a work-queue stream drops one once it is acknowledged. */
  readonly messages: number;
  /** Deliveries so far, redeliveries included; 0 while no worker has made the consumer. */
  readonly delivered: number;
  /** Delivered messages not acknowledged yet. */
  readonly ackPending: number;
}

interface ConsumerDetail {
  name: string;
  delivered: { consumer_seq: number };
  num_pending: number;
  num_ack_pending: number;
}

interface StreamDetail {
  name: string;
  state: { messages: number };
  consumer_detail?: ConsumerDetail[];
}

/** Reads `/jsz` for the stream and consumer of `queue` under the default prefix. */
export async function queueOnServer(server: NatsServer, queue: string): Promise<QueueOnServer> {
  const names = wireNames("naq");
  const jsz = await server.monitor<{ account_details?: { stream_detail?: StreamDetail[] }[] }>(
    "jsz?consumers=true",
  );
  const stream = jsz.account_details?.flatMap((account) => account.stream_detail ?? [])
    .find((detail) => detail.name === names.queueStream(queue));
  if (!stream) throw new Error(`the server has no stream for queue ${queue}`);
  const consumer = stream.consumer_detail?.find((detail) =>
    detail.name === names.queueConsumer(queue)
  );
  return {
    // the stream keeps final records too: the job messages are the consumer's to deliver
    messages: consumer ? consumer.num_pending + consumer.num_ack_pending : stream.state.messages,
    delivered: consumer?.delivered.consumer_seq ?? 0,
    ackPending: consumer?.num_ack_pending ?? 0,
  };
}

/**
 * Waits until the server holds no message of `queue`: every job message was acknowledged, so
 * nothing is left that could be delivered, or run, again. Handler run counts read after this
 * and after the workers closed are final.
 */
export async function waitForAllAcknowledged(
  server: NatsServer,
  queue: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(`every message of ${queue} to be acknowledged`, async () => {
    const state = await queueOnServer(server, queue);
    return state.messages === 0 && state.ackPending === 0;
  }, timeoutMs);
}

/**
 * A {@linkcode ManualClock} that also tells what is sleeping on it, so that a test advances
 * it once the timer it means to drive has started, not before.
 */
export class WatchedClock extends ManualClock {
  readonly #sleeping = new Map<object, number>();

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const token = {};
    this.#sleeping.set(token, ms);
    const sleeping = super.sleep(ms, signal);
    const woken = () => void this.#sleeping.delete(token);
    sleeping.then(woken, woken);
    return sleeping;
  }

  /** Whether something sleeps for `ms` (as asked for when it started) and has not woken. */
  sleepingFor(ms: number): boolean {
    return [...this.#sleeping.values()].includes(ms);
  }
}

/**
 * Runs `fn` when disposed. `using _ = onExit(() => gate.resolve())`, declared after the
 * workers whose handlers wait on the gate, opens it before they close, so that a test that
 * fails midway does not leave a worker waiting for ever on a clock nobody advances.
 */
export function onExit(fn: () => void): Disposable {
  return { [Symbol.dispose]: fn };
}

/** Closes `worker` when disposed, as {@linkcode settleAdvancing} does. */
export function closeOnExit(worker: Worker, clock: ManualClock, stepMs: number): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      await settleAdvancing(`worker ${worker.id} to close`, worker.close(), clock, stepMs);
    },
  };
}
