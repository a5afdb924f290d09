import { type FinishedJob, isFinished, type JobRecord } from "../../../core/job.ts";
import type { WireNames } from "../../../core/names.ts";
import type { Clock } from "../../../clock.ts";
import { ErrorCode, NaqError } from "../../../errors.ts";
import type { ConnectionService, CoreSubscription } from "../../core/connection_service.ts";

const decoder = new TextDecoder();

// lean on purpose: a producer may wait on tens of thousands of jobs at once
interface Waiter {
  readonly resolve: (job: FinishedJob | null) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal?: AbortSignal;
  onAbort?: () => void;
}

/** Reads a job's record from the stream's leader; `null` when it is unknown. */
export type ReadJob = (queue: string, jobId: string) => Promise<JobRecord | null>;

// a job's messages pass subscribers before the stream has stored them: after seeing a final
// one, a foreign waiter reads again at these pauses (real time: it waits for the server)
const STORED_PAUSES_MS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_000];

const FINAL = /\.(completed|dead|cancelled)$/;

// when a foreign waiter reads its job again, soon after it began to follow it (later reads
// are the sweep's, as for every waiter)
const FOLLOW_CHECKS_MS = [20, 100, 500, 2_000];

// how long a waiter goes without news before its job is read, how often that is looked
// at, and how many jobs are read at a time
const QUIET_MS = 5_000;
const MAX_QUIET_MS = 300_000;
const SWEEP_MS = 1_000;
const SWEEP_MAX = 100;

// finished records kept for a result() that comes after its job finished, so that a
// producer that enqueues a batch, then waits on each, need not read back every quick one;
// a later result() reads
const RECENT_CAPACITY = 10_000;
const RECENT_MS = 10_000;

/**
 * Waits for jobs to finish without polling. A producer's jobs carry its notify subject, and
 * the worker that finishes one sends the stored record there: one subscription per manager
 * serves every waiter, and no waiter decodes another job's news.
 *
 * A notice is a core message, so it can be missed: while the connection is down, or when the
 * job finished before anyone here knew of it. A waiter therefore reads the job once unless
 * it is sure no notice was missed, and every waiter reads again after a reconnect. A job
 * another producer enqueued sends its notice there, not here: its waiters follow the job's
 * own messages instead, with a subscription for that job while someone waits on it.
 */
export class ResultWaiters {
  /** The subject this manager's jobs carry for their finished records. */
  readonly notifySubject: string;
  readonly #connection: ConnectionService;
  readonly #read: ReadJob;
  readonly #waiters = new Map<string, Waiter[]>();
  /** Notices no waiter was there for, oldest first, with when they came. */
  readonly #recent = new Map<string, { readonly job: FinishedJob; readonly at: number }>();
  readonly #clock: Clock;
  readonly #followed = new Map<string, CoreSubscription>();
  readonly #names: WireNames;
  #subscription?: CoreSubscription;
  #subscribed?: Promise<void>;
  #epoch = 0;
  /** Per job waited on, when to read it again if no news came, and the pause before. */
  readonly #rereads = new Map<string, { due: number; pause: number }>();
  #sweeping?: ReturnType<typeof setTimeout>;

  /** @param read reads a job as stored, for the waiters that may have missed its notice */
  constructor(connection: ConnectionService, names: WireNames, clock: Clock, read: ReadJob) {
    this.#connection = connection;
    this.#clock = clock;
    this.#read = read;
    this.#names = names;
    this.notifySubject = names.notifySubject(crypto.randomUUID().replaceAll("-", ""));
  }

  /**
   * Subscribes to this manager's notices, before the first job that asks for them is sent.
   * Resolves once the server has the subscription (once per manager): a cluster then passes
   * the interest on to the other servers before this connection's jobs, which follow it.
   *
   * @returns the current epoch, to pass to {@linkcode wait} for a job enqueued now
   */
  async listening(): Promise<number> {
    const epoch = this.listen();
    await this.#subscribed;
    return epoch;
  }

  /** Subscribes to this manager's notices, if not yet; returns the current epoch. */
  listen(): number {
    if (!this.#subscription) {
      this.#subscription = this.#connection.listen(this.notifySubject, (message) => {
        let job: FinishedJob;
        try {
          job = JSON.parse(decoder.decode(message.data));
        } catch {
          return; // not a notice naq sent
        }
        this.#notified(job);
      });
      this.#subscribed = this.#connection.flush().catch(() => {});
      this.#connection.onReconnect(() => {
        this.#epoch += 1;
        for (const key of this.#waiters.keys()) {
          const [queue, jobId] = splitKey(key);
          this.#check(queue, jobId);
        }
      });
    }
    return this.#epoch;
  }

  /**
   * Resolves with the job's record once it is completed, dead or cancelled, or with `null`
   * when it is unknown.
   *
   * @param epoch what {@linkcode listen} returned when this job was enqueued here: then no
   *   read is needed unless the epoch moved on since (a reconnect, or a notice forgotten)
   * @param signal rejects with its reason when aborted
   */
  wait(
    queue: string,
    jobId: string,
    epoch?: number,
    signal?: AbortSignal,
  ): Promise<FinishedJob | null> {
    const key = `${queue}\u0000${jobId}`;
    // only for a job enqueued here: another process may have retried one known from before
    const recent = epoch === undefined ? undefined : this.#recent.get(key);
    if (recent) return Promise.resolve(recent.job);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<FinishedJob | null>();
    const waiter: Waiter = { resolve, reject, signal };
    if (signal) {
      waiter.onAbort = () => {
        this.#leave(key, waiter);
        reject(signal.reason);
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    const waiting = this.#waiters.get(key);
    if (waiting) waiting.push(waiter);
    else {
      this.#waiters.set(key, [waiter]);
      // real time: see #sweepLater
      this.#rereads.set(key, { due: performance.now() + QUIET_MS, pause: QUIET_MS }); // real time
      this.#sweepLater();
    }
    this.listen();
    if (epoch === undefined) this.#follow(queue, jobId, key);
    if (epoch === undefined || epoch !== this.#epoch) this.#check(queue, jobId, waiter);
    return promise;
  }

  #leave(key: string, waiter: Waiter): void {
    const waiting = this.#waiters.get(key)?.filter((other) => other !== waiter) ?? [];
    if (waiting.length > 0) return void this.#waiters.set(key, waiting);
    this.#waiters.delete(key);
    this.#rereads.delete(key);
    this.#followed.get(key)?.unsubscribe();
    this.#followed.delete(key);
  }

  /** Settles the waiters of `key` (or only `one` of them), which leave. */
  #settle(key: string, settle: (waiter: Waiter) => void, one?: Waiter): void {
    for (const waiter of one ? [one] : [...this.#waiters.get(key) ?? []]) {
      if (waiter.onAbort) waiter.signal!.removeEventListener("abort", waiter.onAbort);
      this.#leave(key, waiter);
      settle(waiter);
    }
  }

  /** Forgets what a notice said of the job: it runs again. */
  forget(queue: string, jobId: string): void {
    this.#recent.delete(`${queue}\u0000${jobId}`);
  }

  /** Follows the messages of a job that may not notify this manager. */
  #follow(queue: string, jobId: string, key: string): void {
    if (this.#followed.has(key)) return;
    // final messages seen; one that comes while reading makes the reads start over after
    let seen = 0;
    let reading = false;
    const read = async () => {
      reading = true;
      for (let before = -1; before !== seen;) {
        before = seen;
        await this.#readUntilFinished(queue, jobId, key);
      }
      reading = false;
    };
    const subscription = this.#connection.listen(
      this.#names.jobSubjects(queue, jobId),
      (message) => {
        if (!FINAL.test(message.subject)) return;
        seen += 1;
        if (!reading) void read();
      },
    );
    this.#followed.set(key, subscription);
    // a cluster learns of the subscription a moment after this server does: a job that
    // finishes on another server meanwhile is not passed on, so the job is read again soon
    void (async () => {
      for (const pause of FOLLOW_CHECKS_MS) {
        // real time: it waits for other servers to learn of the subscription
        await new Promise((resolve) => setTimeout(resolve, pause)); // real time: see above
        if (this.#followed.get(key) !== subscription) return;
        const job = await this.#read(queue, jobId).catch(() => undefined);
        if (job && isFinished(job)) this.#settle(key, (waiter) => waiter.resolve(job));
      }
    })();
  }

  /** Reads a job whose final message went by, until the stream has stored it. */
  async #readUntilFinished(queue: string, jobId: string, key: string): Promise<void> {
    for (const pause of STORED_PAUSES_MS) {
      // real time: waits for the server to store what it has already passed on
      await new Promise((resolve) => setTimeout(resolve, pause)); // real time: see above
      if (!this.#waiters.has(key)) return;
      const job = await this.#read(queue, jobId).catch(() => undefined);
      if (job && isFinished(job)) return this.#settle(key, (waiter) => waiter.resolve(job));
    }
    // not stored as final: a write refused (a stale worker's), whose job goes on
  }

  /**
   * A notice can be lost in ways no event tells of (a cluster's routes, a slow consumer), so
   * a job waited on without news is read again after {@linkcode QUIET_MS}, then after pauses
   * that double up to {@linkcode MAX_QUIET_MS}: a few reads at a time, not a poll.
   */
  #sweepLater(): void {
    if (this.#sweeping !== undefined || this.#waiters.size === 0) return;
    // real time: it is about notices the network may have lost, whatever clock jobs run on
    this.#sweeping = setTimeout(() => { // real time: see above
      this.#sweeping = undefined;
      const now = performance.now(); // real time, as the timer
      let read = 0;
      for (const [key, reread] of this.#rereads) {
        if (reread.due > now) continue;
        if (read++ >= SWEEP_MAX) break;
        reread.pause = Math.min(2 * reread.pause, MAX_QUIET_MS);
        reread.due = now + reread.pause;
        const [queue, jobId] = splitKey(key);
        this.#check(queue, jobId);
      }
      this.#sweepLater();
    }, SWEEP_MS);
    // it must not keep a process alive that has nothing else to do
    Deno.unrefTimer(this.#sweeping);
  }

  /** Reads the job, and resolves its waiters (or `only`) when it is finished or unknown. */
  #check(queue: string, jobId: string, only?: Waiter): void {
    const key = `${queue}\u0000${jobId}`;
    this.#read(queue, jobId).then((job) => {
      // a job not found says so only to a first read: once waited on, it was there, and a
      // read that misses it now is no news (its record expired, or the read came too soon)
      const unknown = !job && only !== undefined;
      if (unknown || (job && isFinished(job))) {
        this.#settle(key, (waiter) => waiter.resolve(job), only);
      }
    }, (err) => {
      // the connection is down for now: the reconnect reads for every waiter again
      if (!this.#connection.connected && !this.#connection.closed) return;
      // a later read failing is no news either; the next one may do better
      if (only) this.#settle(key, (waiter) => waiter.reject(err), only);
    });
  }

  #notified(job: FinishedJob): void {
    const key = `${job.queue}\u0000${job.id}`;
    if (this.#waiters.has(key)) {
      return this.#settle(key, (waiter) => waiter.resolve(job)); // a handle keeps it
    }
    // kept a while for a result() still to come, which cannot know the notice went by; a
    // producer that never asks must not pile them up
    const now = this.#clock.now();
    this.#recent.set(key, { job, at: now });
    for (const [oldest, { at }] of this.#recent) {
      if (this.#recent.size <= RECENT_CAPACITY && now - at < RECENT_MS) break;
      this.#recent.delete(oldest);
      // a job enqueued before now may have been the one forgotten: its waiter must read
      this.#epoch += 1;
    }
  }

  /** Stops listening, and rejects every waiter with a `CLOSED` error. */
  close(): void {
    clearTimeout(this.#sweeping);
    this.#subscription?.unsubscribe();
    for (const subscription of this.#followed.values()) subscription.unsubscribe();
    const closed = new NaqError(
      ErrorCode.Closed,
      "Cannot wait for the job any more: its ServiceManager was closed",
    );
    for (const key of [...this.#waiters.keys()]) {
      this.#settle(key, (waiter) => waiter.reject(closed));
    }
  }
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}
