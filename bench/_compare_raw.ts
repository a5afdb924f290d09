/**
 * Raw JetStream in bench/report_compare.ts, with the nats.js client naq uses: what a job
 * costs with no job model at all, as a floor to compare naq with.
 *
 * A job is one message published to a work-queue stream (awaiting its PubAck, pipelined
 * within a batch). The worker is one pull consumer with `max_ack_pending` 64, consumed 64 at
 * a time; each message is handled on its own, so up to 64 are in flight.
 *
 * Results: JetStream has none, so the fairest stand-in for naq's `result()` is what naq's
 * design (DESIGN.md, issue 10) gives a waiter: a per-job done notice on core NATS. Each job
 * carries, in a `Done-To` header, a subject under the producer's one wildcard subscription;
 * the worker publishes the handler's return value there, then acks the message (both are
 * fire-and-forget, flushed together). Nothing stores the outcome, so this is cheaper than any
 * queue that keeps one; the producer resolves a job's waiter when its notice arrives.
 */
import { createInbox, headers, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import {
  AckPolicy,
  type ConsumerMessages,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JsMsg,
  RetentionPolicy,
} from "@nats-io/jetstream";
import type { Payload, SystemUnderTest } from "./_compare_shape.ts";

const STREAM = "raw";
const SUBJECT = "raw.jobs";
const DONE_HEADER = "Done-To";

/**
 * The raw JetStream side of the comparison.
 *
 * @param url the nats-server's client URL
 */
export function rawSystem(url: string): SystemUnderTest<Promise<unknown>> {
  // as naq connects: without async stack traces, worth several times the publish rate
  const options = { servers: url, noAsyncTraces: true };
  let producer: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let consumerConnection: NatsConnection | undefined;
  let messages: ConsumerMessages | undefined;
  let handling: Promise<void> | undefined;
  const inbox = createInbox();
  const waiters = new Map<string, (value: unknown) => void>();
  let nextId = 0;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  /** Publishes one job; returns its result, which resolves when its done notice arrives. */
  const publish = (payload: Payload): { stored: Promise<unknown>; result: Promise<unknown> } => {
    const doneTo = `${inbox}.${nextId++}`;
    const result = new Promise((resolve) => waiters.set(doneTo, resolve));
    const h = headers();
    h.set(DONE_HEADER, doneTo);
    const body = encoder.encode(JSON.stringify({ task: "noop", payload }));
    return { stored: js!.publish(SUBJECT, body, { headers: h }), result };
  };

  const handle = async (message: JsMsg) => {
    const { payload } = message.json<{ payload: Payload }>();
    const value = await noop(payload);
    consumerConnection!.publish(message.headers!.get(DONE_HEADER), JSON.stringify(value));
    message.ack();
  };

  return {
    async prepare() {
      producer = await connect(options);
      js = jetstream(producer);
      await (await jetstreamManager(producer)).streams.add({
        name: STREAM,
        subjects: [SUBJECT],
        retention: RetentionPolicy.Workqueue,
      });
      producer.subscribe(`${inbox}.*`, {
        callback: (err, message) => {
          if (err) throw err;
          const resolve = waiters.get(message.subject);
          waiters.delete(message.subject);
          resolve?.(JSON.parse(decoder.decode(message.data)));
        },
      });
      await producer.flush();
    },
    async enqueueBatch(payloads) {
      const jobs = payloads.map(publish);
      await Promise.all(jobs.map((job) => job.stored));
      return jobs.map((job) => job.result);
    },
    async startWorker(concurrency) {
      consumerConnection = await connect(options);
      await (await jetstreamManager(consumerConnection)).consumers.add(STREAM, {
        durable_name: "worker",
        ack_policy: AckPolicy.Explicit,
        max_ack_pending: concurrency,
      });
      const consumer = await jetstream(consumerConnection).consumers.get(STREAM, "worker");
      messages = await consumer.consume({ max_messages: concurrency });
      handling = (async () => {
        for await (const message of messages!) {
          handle(message).catch((err) => {
            console.error(`raw: a job failed: ${err}`);
            message.term();
          });
        }
      })();
    },
    result(job) {
      return job;
    },
    async roundTrip(payload) {
      const job = publish(payload);
      await job.stored;
      return await job.result;
    },
    async close() {
      await messages?.close();
      await handling;
      await consumerConnection?.drain();
      await producer?.drain();
    },
  };
}

function noop(_payload: Payload): Promise<null> {
  return Promise.resolve(null);
}
