/**
 * Raw JetStream message schedules in bench/report_scheduler.ts, with the nats.js client naq
 * uses: how late the server itself fires `Nats-Schedule: @at` messages, as a floor for naq's
 * delayed jobs, which are such messages.
 *
 * One work-queue stream with `allow_msg_schedules`; each message is scheduled on a subject of
 * its own, targeting a run subject of its own, which one pull consumer reads.
 */
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";

const STREAM = "raw_schedules";

/** How late each scheduled message was, in ms after its due instant. */
export interface RawLateness {
  /** When the server stored the fired message (its stream timestamp). */
  readonly storedMs: number[];
  /** When the consumer received it. */
  readonly receivedMs: number[];
}

/**
 * Schedules `count` messages due evenly over `overMs`, the first `leadMs` from now, and
 * measures each one's lateness until all arrived or `graceMs` after the last was due.
 *
 * @param url the nats-server's client URL
 */
export async function rawScheduledLateness(
  url: string,
  count: number,
  overMs: number,
  leadMs: number,
  graceMs: number,
): Promise<RawLateness> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({
      name: STREAM,
      subjects: [`${STREAM}.>`],
      retention: RetentionPolicy.Workqueue,
      allow_msg_schedules: true,
      allow_msg_ttl: true,
    });
    await jsm.consumers.add(STREAM, {
      durable_name: "run",
      filter_subject: `${STREAM}.run.>`,
      ack_policy: AckPolicy.Explicit,
    });
    const first = Date.now() + leadMs;
    const dueAt = new Map<string, number>();
    const publishes = [];
    for (let i = 0; i < count; i++) {
      const at = first + Math.floor((i * overMs) / count);
      dueAt.set(`${STREAM}.run.${i}`, at);
      publishes.push(js.publish(`${STREAM}.delayed.${i}`, String(i), {
        schedule: { specification: new Date(at), target: `${STREAM}.run.${i}` },
      }));
    }
    await Promise.all(publishes);

    const storedMs: number[] = [];
    const receivedMs: number[] = [];
    const messages = await (await js.consumers.get(STREAM, "run")).consume({ max_messages: 256 });
    const timer = setTimeout(() => messages.stop(), first + overMs + graceMs - Date.now());
    for await (const message of messages) {
      const now = Date.now();
      const due = dueAt.get(message.subject)!;
      receivedMs.push(now - due);
      storedMs.push(Number(message.info.timestampNanos) / 1e6 - due);
      message.ack();
      if (receivedMs.length === count) break;
    }
    clearTimeout(timer);
    await jsm.streams.delete(STREAM);
    return { storedMs, receivedMs };
  } finally {
    await nc.close();
  }
}
