import type { Clock } from "../../../clock.ts";
import { type NaqConfig, queueSettings } from "../../../config/mod.ts";
import type { QueueSettings } from "../../../core/settings.ts";
import { jobFromMessage } from "../../../core/job_view.ts";
import type { JobRecord } from "../../../core/job.ts";
import { type WireNames, wireNames } from "../../../core/names.ts";
import { ConfigError, NaqError } from "../../../errors.ts";
import { ConnectionService } from "../../core/connection_service.ts";
import { type JobMessage, JobMessages } from "../../core/job_messages.ts";
import { QueueConsumer } from "../../core/queue_consumer.ts";
import { retryWhileLeaderless } from "../../core/retry_while_leaderless.ts";
import type { ServiceManager } from "../../core/service_manager.ts";
import { type ConsumerState, StreamService } from "../../core/stream_service.ts";

// how long a job's record waits for the worker running it to say so (real time: the worker's)
const RUNNING_ANSWER_MS = 500;

/** What the worker running a job says of it. */
export type RunningJob = Pick<JobRecord, "worker" | "startedAt" | "attempt" | "progress">;

/**
 * The queues' work-queue streams, which hold the jobs: ensures each, and reads a job's record
 * off its latest message. The producer's verbs and the worker's side are built on it.
 */
export class JobStreams {
  /** Every job's messages. */
  readonly messages: JobMessages;
  /** Wire names under the configured prefix. */
  readonly names: WireNames;
  readonly #config: NaqConfig;
  readonly #clock: Clock;
  readonly #connection: ConnectionService;
  readonly #streams: StreamService;
  readonly #reensuring = new Map<string, Promise<void>>();
  readonly #layoutChecked = new Set<string>();
  readonly #settings = new Map<string, QueueSettings>();

  private constructor(
    services: ServiceManager,
    connection: ConnectionService,
    streams: StreamService,
  ) {
    this.#config = services.config;
    this.#clock = services.clock;
    this.#connection = connection;
    this.#streams = streams;
    this.names = wireNames(services.config.prefix);
    this.messages = new JobMessages(connection, this.names, services.clock);
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<JobStreams> {
    const [connection, streams] = await Promise.all([
      services.get(ConnectionService),
      services.get(StreamService),
    ]);
    return new JobStreams(services, connection, streams);
  }

  /** The resolved settings of `queue`, resolved once: the config is frozen, and a job cheap. */
  settings(queue: string): QueueSettings {
    let settings = this.#settings.get(queue);
    if (!settings) this.#settings.set(queue, settings = queueSettings(this.#config, queue));
    return settings;
  }

  /** True when the queue's stream exists. */
  async exists(queue: string): Promise<boolean> {
    return (await this.messageCount(queue)) !== null;
  }

  /** How many messages the queue's stream holds (about one per job); `null` with no stream. */
  async messageCount(queue: string): Promise<number | null> {
    return (await this.#streams.info(this.names.queueStream(queue)))?.state.messages ?? null;
  }

  /**
   * Deletes the queue's stream with every job in it and its consumers.
   *
   * @returns whether there was a stream, and how many messages it held
   */
  async delete(queue: string): Promise<{ stream: boolean; messages: number }> {
    const messages = await this.messageCount(queue) ?? 0;
    this.#layoutChecked.delete(queue);
    return { stream: await this.#streams.delete(this.names.queueStream(queue)), messages };
  }

  /** The names of every queue that has a stream under this prefix, sorted. */
  async queues(): Promise<string[]> {
    const streamPrefix = this.names.queueStream("_").slice(0, -1);
    return (await this.#streams.names())
      .filter((name) => name.startsWith(streamPrefix))
      .map((name) => name.slice(streamPrefix.length))
      .sort();
  }

  /**
   * Ensures the queue's work-queue stream exists, with schedules and TTLs allowed.
   *
   * @throws {ConfigError} when the stream holds jobs in the layout of an earlier naq
   */
  async ensure(queue: string): Promise<void> {
    const name = this.names.queueStream(queue);
    if (!this.#layoutChecked.has(queue)) {
      const old = `${this.names.prefix}.queue.${queue}`;
      const info = await retryWhileLeaderless(this.#clock, {
        what: `read the stream of queue ${queue}`,
        stream: name,
        write: () => this.#streams.info(name),
      });
      // updating it to one message per subject would have the server drop all but one
      if (info?.config.subjects?.includes(old)) {
        throw new ConfigError(
          `Stream ${name} holds the jobs of queue ${queue} as an earlier naq stored them, on ` +
            `one subject (${old}); this naq keeps each job on subjects of its own and would ` +
            `lose them. Let the earlier naq's workers drain the queue, delete the stream ` +
            `(nats stream rm ${name}), then start this one`,
        );
      }
      this.#layoutChecked.add(queue);
    }
    await this.#streams.ensure({
      name,
      subjects: this.names.queueSubjects(queue),
      retention: "workqueue",
      replicas: this.#config.streams.replicas,
      maxPerSubject: 1,
      scheduled: true,
      direct: true,
    });
  }

  /**
   * Asks the server for the queue's stream again: it may have been deleted, or created a
   * moment ago by another process. Once for all the publishes that found no stream together,
   * not once each: a batch of thousands would flood JetStream's API while it elects a leader.
   *
   * @throws {ConfigError} when the stream cannot be made to fit
   */
  async ensureAgain(queue: string): Promise<void> {
    let ensuring = this.#reensuring.get(queue);
    if (!ensuring) {
      this.#streams.forget(this.names.queueStream(queue));
      ensuring = this.ensure(queue).finally(() => this.#reensuring.delete(queue));
      this.#reensuring.set(queue, ensuring);
    }
    try {
      await ensuring;
    } catch (err) {
      // naq's own errors do not pass with time; JetStream's, while it elects a leader, do
      if (err instanceof NaqError) throw err;
    }
  }

  /** Opens the queue's shared consumer, for a worker. */
  async consumer(queue: string): Promise<QueueConsumer> {
    await this.ensure(queue);
    return await QueueConsumer.open(
      this.#connection,
      this.names.queueStream(queue),
      this.names.queueConsumer(queue),
      this.names.kindSubjects(queue, "run"),
      this.settings(queue),
    );
  }

  /** What the queue's workers' consumer holds: `null` when no worker ever opened it. */
  workersState(queue: string): Promise<ConsumerState | null> {
    return this.#streams.consumerState(
      this.names.queueStream(queue),
      this.names.queueConsumer(queue),
    );
  }

  /** The stream sequence up to which the queue's workers have been handed messages. */
  async delivered(queue: string): Promise<number> {
    // reads only: safe to repeat while the stream elects a leader
    const state = await retryWhileLeaderless(this.#clock, {
      what: `read the workers' consumer of queue ${queue}`,
      stream: this.names.queueStream(queue),
      write: () => this.workersState(queue),
    });
    // none yet (or no stream): no worker was ever handed a job
    return state?.deliveredSeq ?? 0;
  }

  /**
   * The record a job's latest message shows.
   *
   * @param askWorker ask the worker running an active job for who, since when and progress
   */
  async recordOf(queue: string, message: JobMessage, askWorker = true): Promise<JobRecord | null> {
    const delivered = message.kind === "run" && message.seq <= await this.delivered(queue);
    const job = jobFromMessage(queue, message, delivered);
    if (job?.state !== "active" || !askWorker) return job;
    // the worker running it knows the rest: who it is, since when, and how far it got
    const running = await this.#connection.request(
      this.names.runningSubject(queue, job.id),
      undefined,
      RUNNING_ANSWER_MS, // real time: the worker answers on its own
    ).then((reply) => JSON.parse(new TextDecoder().decode(reply)) as RunningJob, () => null);
    return running ? { ...job, ...running } : job;
  }
}
