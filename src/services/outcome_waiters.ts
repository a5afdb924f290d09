import { isFinished, type JobRecord } from "../core/job.ts";
import type { JsonBucket } from "./kv_store_service.ts";

interface Waiter {
  resolve(job: JobRecord | null): void;
  reject(reason: unknown): void;
}

interface QueueWatch {
  readonly ready: Promise<{ stop(): void }>;
  readonly waiters: Map<string, Set<Waiter>>;
  /** Aborts once a key has no waiter left: its notified outcome need not be confirmed. */
  readonly unwatched: Map<string, AbortController>;
}

/**
 * Waits for jobs to finish without polling, and without a watch per job: one subscription
 * per queue serves every waiter of that queue, and stops when the last waiter leaves. A
 * notification of a finished job is confirmed by reading the stored record.
 */
export class OutcomeWaiters {
  readonly #jobs: JsonBucket<JobRecord>;
  readonly #watches = new Map<string, QueueWatch>();

  /** @param jobs the bucket of job records */
  constructor(jobs: JsonBucket<JobRecord>) {
    this.#jobs = jobs;
  }

  /**
   * Resolves with the job's record once it is completed, dead or cancelled, or with `null`
   * when it does not exist or is deleted meanwhile.
   *
   * @param watchFilter the KV filter matching every key of the job's queue
   * @param key the job's key
   * @param signal rejects with its reason when aborted
   */
  wait(watchFilter: string, key: string, signal?: AbortSignal): Promise<JobRecord | null> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const watch = this.#watch(watchFilter);
      const waiter: Waiter = {
        resolve: (job) => {
          leave();
          resolve(job);
        },
        reject: (reason) => {
          leave();
          reject(reason);
        },
      };
      const onAbort = () => waiter.reject(signal!.reason);
      const leave = () => {
        signal?.removeEventListener("abort", onAbort);
        const forKey = watch.waiters.get(key);
        forKey?.delete(waiter);
        if (forKey?.size === 0) {
          watch.waiters.delete(key);
          watch.unwatched.get(key)?.abort();
          watch.unwatched.delete(key);
        }
        if (watch.waiters.size === 0 && this.#watches.get(watchFilter) === watch) {
          this.#watches.delete(watchFilter);
          watch.ready.then((handle) => handle.stop(), () => {});
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      watch.waiters.set(key, (watch.waiters.get(key) ?? new Set()).add(waiter));
      // read only once the watch is in place: a change after the read is then seen
      watch.ready
        .then(() => this.#jobs.get(key))
        .then((current) => {
          if (!current) waiter.resolve(null);
          else if (isFinished(current.value.state)) waiter.resolve(current.value);
        })
        .catch((err) => waiter.reject(err));
    });
  }

  #watch(filter: string): QueueWatch {
    let watch = this.#watches.get(filter);
    if (!watch) {
      const waiters = new Map<string, Set<Waiter>>();
      const unwatched = new Map<string, AbortController>();
      const ready = this.#jobs.watchChanges(filter, (change) => {
        const { key, value: job } = change;
        if (job && !isFinished(job.state)) return;
        if (!waiters.has(key)) return;
        if (!unwatched.has(key)) unwatched.set(key, new AbortController());
        // confirmed for as long as someone waits: a slow server may store it late
        change.stored(unwatched.get(key)!.signal).then((stored) => {
          if (stored === undefined) return; // refused or replaced: a later change says more
          for (const waiter of [...(waiters.get(key) ?? [])]) waiter.resolve(stored?.value ?? null);
        }, (err) => {
          for (const waiter of [...(waiters.get(key) ?? [])]) waiter.reject(err);
        });
      });
      watch = { ready, waiters, unwatched };
      this.#watches.set(filter, watch);
      ready.catch((err) => {
        if (this.#watches.get(filter) === watch) this.#watches.delete(filter);
        for (const set of waiters.values()) for (const waiter of [...set]) waiter.reject(err);
      });
    }
    return watch;
  }
}
