import type { Clock } from "../clock.ts";
import type { JsonBucket } from "./kv_store_service.ts";

/** What the lease key holds. */
export interface LeaseRecord {
  /** The id of the replica that leads. */
  readonly holder: string;
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
 * lease, and one takes over once it has seen the same revision for eight tenths, measured on
 * its own clock: no two clocks are ever compared, so skew between machines cannot cut a
 * lease short, and a dead leader is replaced within one lease of its last renewal. A leader
 * that cannot renew for seven tenths of the lease stops leading before anyone may take over.
 */
export class LeaderLease {
  readonly #bucket: JsonBucket<LeaseRecord>;
  readonly #key: string;
  readonly #holder: string;
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

  /** Who holds the lease now, as stored; `null` when nobody does. */
  async holder(): Promise<LeaseRecord | null> {
    return (await this.#bucket.get(this.#key))?.value ?? null;
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
      let revision: number;
      try {
        revision = await this.#acquire(signal);
      } catch (err) {
        if (signal.aborted) break;
        onError(err);
        await this.#clock.sleep(this.#pollMs, signal).catch(() => {});
        continue;
      }
      const lost = new AbortController();
      const leading = AbortSignal.any([signal, lost.signal]);
      this.#leading = true;
      const renewing = this.#renew(revision, leading, lost);
      try {
        await duties(leading);
      } catch (err) {
        if (!leading.aborted) onError(err);
      }
      lost.abort(new Error("stopped leading"));
      revision = await renewing;
      this.#leading = false;
      // released whether stopping or after duties failed, so another replica need not wait
      // for the lease to lapse; but not waited on for long, as the server may be gone
      const released = new AbortController();
      await Promise.race([
        this.#bucket.delete(this.#key, revision).catch(() => {}),
        this.#clock.sleep(this.#pollMs, released.signal).catch(() => {}),
      ]);
      released.abort();
      if (!signal.aborted) await this.#clock.sleep(this.#pollMs, signal).catch(() => {});
    }
  }

  async #acquire(signal: AbortSignal): Promise<number> {
    let seen: { revision: number; since: number } | undefined;
    while (true) {
      signal.throwIfAborted();
      const current = await this.#bucket.get(this.#key);
      const now = this.#clock.now();
      const mine: LeaseRecord = { holder: this.#holder, since: now, renewedAt: now };
      let won: number | null = null;
      if (!current) {
        won = await this.#bucket.create(this.#key, mine);
      } else if (current.value.holder === this.#holder) {
        won = await this.#bucket.update(this.#key, mine, current.revision);
      } else if (seen?.revision !== current.revision) {
        seen = { revision: current.revision, since: now };
      } else if (now - seen.since >= this.#leaseMs - 2 * this.#pollMs) {
        won = await this.#bucket.update(this.#key, mine, current.revision);
      }
      if (won !== null) return won;
      await this.#clock.sleep(this.#pollMs, signal);
    }
  }

  /** Renews until `leading` aborts or the lease is lost; returns the last revision held. */
  async #renew(revision: number, leading: AbortSignal, lost: AbortController): Promise<number> {
    const since = this.#clock.now();
    let renewedAt = since;
    let failed = false;
    while (!leading.aborted) {
      const wait = failed ? this.#pollMs : Math.floor(this.#leaseMs / 3);
      await this.#clock.sleep(wait, leading).catch(() => {});
      if (leading.aborted) break;
      const now = this.#clock.now();
      try {
        const next = await this.#bucket.update(
          this.#key,
          { holder: this.#holder, since, renewedAt: now },
          revision,
        );
        if (next === null) {
          lost.abort(new Error("another replica took the lease"));
          break;
        }
        revision = next;
        renewedAt = now;
        failed = false;
      } catch {
        failed = true;
        // a follower may take over 8/10 of a lease after the last renewal: stop before that
        if (this.#clock.now() - renewedAt >= this.#leaseMs - 3 * this.#pollMs) {
          lost.abort(new Error("could not renew the lease"));
          break;
        }
      }
    }
    return revision;
  }
}
