import type { Clock } from "../../clock.ts";
import type { JsonBucket } from "../core/kv_store_service.ts";

/** What the lease key holds. */
export interface LeaseRecord {
  /** The id of the replica that leads. */
  readonly holder: string;
  /** Tells this run of the replica from another with the same id. */
  readonly token: string;
  /** When it took the lease, by its own clock. */
  readonly since: number;
  /** When it last renewed, by its own clock. */
  readonly renewedAt: number;
}

/** What a leader does while it leads. */
export type LeaderDuties = (leading: AbortSignal) => Promise<void>;

/**
 * Leader election over one KV key, renewed by compare-and-swap.
 *
 * The leader rewrites the key every third of the lease. Followers read it every tenth of the
 * lease, and one takes over once it has seen the same revision for eight tenths. Durations are
 * measured on each replica's monotonic clock: no two clocks are compared, and setting a wall
 * clock changes nothing. A dead leader is thus replaced within one lease of its last renewal.
 * A leader stops leading seven tenths of a lease after its last renewal that succeeded,
 * whether or not its renewal requests have answered, so that it has stopped before anyone may
 * take over.
 */
export class LeaderLease {
  readonly #bucket: JsonBucket<LeaseRecord>;
  readonly #key: string;
  readonly #holder: string;
  readonly #token = crypto.randomUUID();
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #clock: Clock;
  #leading = false;

  /**
   * @param holder this replica's id
   * @param leaseMs how long a silent leader keeps the lease
   */
  constructor(
    bucket: JsonBucket<LeaseRecord>,
    key: string,
    holder: string,
    leaseMs: number,
    clock: Clock,
  ) {
    this.#bucket = bucket;
    this.#key = key;
    this.#holder = holder;
    this.#leaseMs = leaseMs;
    this.#pollMs = Math.max(10, Math.floor(leaseMs / 10));
    this.#clock = clock;
  }

  /** True while this replica holds the lease. */
  get leading(): boolean {
    return this.#leading;
  }

  /**
   * Competes for the lease until `signal` aborts; whenever it is won, runs `duties` with a
   * signal that aborts when the lease is lost. On abort, a held lease is released at once so
   * another replica takes over without waiting for it to lapse.
   *
   * @param onError told of each failed attempt to read or write the lease, and of duties
   *   that threw; the election goes on
   */
  async run(
    signal: AbortSignal,
    duties: LeaderDuties,
    onError: (err: unknown) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      let won: { revision: number; sentAt: number };
      try {
        won = await this.#acquire(signal);
      } catch (err) {
        if (signal.aborted) break;
        onError(err);
        await this.#clock.sleep(this.#pollMs, signal).catch(() => {});
        continue;
      }
      const lost = new AbortController();
      const leading = AbortSignal.any([signal, lost.signal]);
      this.#leading = true;
      const renewing = this.#renew(won, leading, lost);
      try {
        await duties(leading);
      } catch (err) {
        if (!leading.aborted) onError(err);
      }
      lost.abort(new Error("stopped leading"));
      await renewing;
      this.#leading = false;
      // released whether stopping or after duties failed, so another replica need not wait
      // for the lease to lapse; but not waited on for long, as the server may be gone
      const released = new AbortController();
      await Promise.race([
        this.#release(),
        this.#clock.sleep(this.#pollMs, released.signal).catch(() => {}),
      ]);
      released.abort();
      if (!signal.aborted) await this.#clock.sleep(this.#pollMs, signal).catch(() => {});
    }
  }

  #record(since: number): LeaseRecord {
    return { holder: this.#holder, token: this.#token, since, renewedAt: this.#clock.now() };
  }

  /** Waits until this replica holds the lease; returns its revision and when it was sent. */
  async #acquire(signal: AbortSignal): Promise<{ revision: number; sentAt: number }> {
    let seen: { revision: number; since: number } | undefined;
    while (true) {
      signal.throwIfAborted();
      const current = await this.#bucket.get(this.#key);
      const now = this.#clock.monotonic();
      let won: number | null = null;
      if (!current) {
        won = await this.#bucket.create(this.#key, this.#record(this.#clock.now()));
      } else if (current.value.token === this.#token) {
        // a renewal of ours landed after we had given up on it
        won = await this.#bucket.update(
          this.#key,
          this.#record(this.#clock.now()),
          current.revision,
        );
      } else if (seen?.revision !== current.revision) {
        seen = { revision: current.revision, since: now };
      } else if (now - seen.since >= this.#leaseMs - 2 * this.#pollMs) {
        won = await this.#bucket.update(
          this.#key,
          this.#record(this.#clock.now()),
          current.revision,
        );
      }
      // the lease counts from when the write was sent: it may have landed long before the reply
      if (won !== null) return { revision: won, sentAt: now };
      await this.#clock.sleep(this.#pollMs, signal);
    }
  }

  /** Renews until `leading` aborts or the lease is lost or lapses. */
  async #renew(
    won: { revision: number; sentAt: number },
    leading: AbortSignal,
    lost: AbortController,
  ): Promise<void> {
    const since = this.#clock.now();
    // a follower may take over 8/10 of a lease after the last renewal landed, which is at
    // the earliest when it was sent: stop before that
    const lapses = () => renewedAt + this.#leaseMs - 3 * this.#pollMs;
    let { revision, sentAt: renewedAt } = won;
    let failed = false;
    while (!leading.aborted) {
      const wait = failed ? this.#pollMs : Math.floor(this.#leaseMs / 3);
      await this.#clock.sleep(Math.min(wait, lapses() - this.#clock.monotonic()), leading)
        .catch(() => {});
      if (leading.aborted) break;
      const left = lapses() - this.#clock.monotonic();
      if (left <= 0) {
        lost.abort(new Error("could not renew the lease in time"));
        break;
      }
      const timedOut = new AbortController();
      const sentAt = this.#clock.monotonic();
      const outcome = await Promise.race([
        this.#bucket.update(this.#key, this.#record(since), revision).then(
          (next) => ({ next }),
          () => ({ next: undefined }),
        ),
        this.#clock.sleep(left, AbortSignal.any([leading, timedOut.signal]))
          .then(() => "lapsed" as const, () => "lapsed" as const),
      ]);
      timedOut.abort();
      if (outcome === "lapsed") continue; // the loop finds it lapsed, or stopping
      if (outcome.next === null) {
        lost.abort(new Error("another replica took the lease"));
        break;
      }
      failed = outcome.next === undefined;
      if (outcome.next !== undefined) {
        revision = outcome.next;
        renewedAt = sentAt;
      }
    }
  }

  /** Deletes the lease if it is still ours, whatever revision our last renewal left. */
  async #release(): Promise<void> {
    try {
      const current = await this.#bucket.get(this.#key);
      if (current?.value.token === this.#token) {
        await this.#bucket.delete(this.#key, current.revision);
      }
    } catch {
      // the server is away: the lease lapses instead
    }
  }
}
