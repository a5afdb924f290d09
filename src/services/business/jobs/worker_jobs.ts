import type { Clock } from "../../../clock.ts";
import type { NaqConfig } from "../../../config/mod.ts";
import { encodeJson, type GivenOptions, parseEnvelope } from "../../../core/envelope.ts";
import { ConnectionService } from "../../core/connection_service.ts";
import type { Delivery, QueueConsumer } from "../../core/queue_consumer.ts";
import type { ServiceManager } from "../../core/service_manager.ts";
import { DeadLetterService } from "../dead_letter_service.ts";
import { EventService } from "../event_service.ts";
import { claimJob, type DeadAtClaim } from "./claim_job.ts";
import type { ClaimedJob } from "./claimed_job.ts";
import { JobStreams, type RunningJob } from "./job_streams.ts";

/**
 * The worker's side of jobs: it opens a queue's consumer, claims what it delivers (then
 * settles it through {@linkcode ClaimedJob}), hands back what it will not run, hears of
 * cancels, and says what it runs.
 */
export class WorkerJobs {
  readonly #jobs: JobStreams;
  readonly #connection: ConnectionService;
  readonly #events: EventService;
  readonly #deadLetters: DeadLetterService;
  readonly #clock: Clock;
  readonly #config: NaqConfig;

  private constructor(
    services: ServiceManager,
    deps: {
      jobs: JobStreams;
      connection: ConnectionService;
      events: EventService;
      deadLetters: DeadLetterService;
    },
  ) {
    this.#jobs = deps.jobs;
    this.#connection = deps.connection;
    this.#events = deps.events;
    this.#deadLetters = deps.deadLetters;
    this.#clock = services.clock;
    this.#config = services.config;
  }

  /** Builds the service on the manager's connection. */
  static async create(services: ServiceManager): Promise<WorkerJobs> {
    const [jobs, connection, events, deadLetters] = await Promise.all([
      services.get(JobStreams),
      services.get(ConnectionService),
      services.get(EventService),
      services.get(DeadLetterService),
    ]);
    return new WorkerJobs(services, { jobs, connection, events, deadLetters });
  }

  /** Opens the queue's shared consumer. */
  consumer(queue: string): Promise<QueueConsumer> {
    return this.#jobs.consumer(queue);
  }

  /**
   * Takes a delivered message for `worker`: see {@linkcode claimJob}.
   *
   * @param taskOptions the options of the worker's task of that name, or `undefined` when it
   *   has none
   * @returns the claimed job to run, or `null` when the message was settled here
   */
  claim(
    queue: string,
    delivery: Delivery,
    worker: string,
    taskOptions: (task: string) => GivenOptions | undefined,
    onDead?: (dead: DeadAtClaim) => void,
  ): Promise<ClaimedJob | null> {
    return claimJob({
      messages: this.#jobs.messages,
      events: this.#events,
      deadLetters: this.#deadLetters,
      clock: this.#clock,
      connection: this.#connection,
      settings: this.#jobs.settings(queue),
      resultsTtlMs: this.#config.results.ttl,
    }, { queue, delivery, worker, taskOptions, onDead });
  }

  /**
   * Gives back a message a worker pulled and will not run (it is stopping, or its queue was
   * paused): written anew in its place, so that it runs next elsewhere without counting as
   * a stall.
   */
  async handBackUnstarted(queue: string, delivery: Delivery): Promise<void> {
    const parsed = parseEnvelope(delivery.body);
    if (!parsed.ok) return; // poison: left for its redelivery, and a worker's dead letter
    const seq = await this.#jobs.messages.write(queue, parsed.envelope.id, "run", delivery.body, {
      attempt: delivery.attempt,
      notify: delivery.notify,
      trace: delivery.trace,
      expectLast: delivery.seq,
    });
    if (seq !== null) return;
    // refused: acknowledged only once the job moved on (it was cancelled meanwhile); while the
    // message held is still its latest, it is left for its redelivery
    const latest = await this.#jobs.messages.latest(queue, parsed.envelope.id);
    if (latest && latest.seq !== delivery.seq) delivery.ack();
  }

  /**
   * Calls `onCancelled(jobId, nonce)` whenever a job of the queue that may be running is
   * cancelled, anywhere in the cluster, until the returned function is called.
   */
  onCancel(queue: string, onCancelled: (jobId: string, nonce: string) => void): () => void {
    const subject = this.#jobs.names.cancelSubject(queue, "*");
    const subscription = this.#connection.listen(subject, (message) => {
      onCancelled(message.subject.slice(subject.length - 1), decoder.decode(message.data));
    });
    return () => subscription.unsubscribe();
  }

  /**
   * Answers what a job's record asks of the jobs this worker runs, until the returned
   * function is called.
   *
   * @param running the job of that id this worker runs, or `undefined`
   */
  serveRunning(queue: string, running: (jobId: string) => RunningJob | undefined): () => void {
    const subject = this.#jobs.names.runningSubject(queue, "*");
    const subscription = this.#connection.listen(subject, (message) => {
      const job = running(message.subject.slice(subject.length - 1));
      // only the worker running it answers; the others stay silent
      if (!job) return;
      try {
        message.respond(encodeJson(job));
      } catch {
        // too large to answer with its progress: answer without it (this runs inside the
        // connection's reader, which an error would stop)
        message.respond(encodeJson({ ...job, progress: undefined }));
      }
    });
    return () => subscription.unsubscribe();
  }
}

const decoder = new TextDecoder();
