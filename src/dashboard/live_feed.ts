/**
 * The dashboard's one subscription per queue to its events: the last hour's stored ones, then
 * live ones. They feed the charts, and every open page's server-sent events.
 *
 * @module
 */
import type { JobEvent } from "../core/job_event.ts";
import type { EventService } from "../services/business/event_service.ts";
import { Activity, ACTIVITY_MINUTES, MINUTE_MS } from "./activity.ts";

/** Where a feed gets its events, and how it tells a queue that exists. */
export interface FeedSource {
  /** The event service, got when the first queue is watched (a dashboard connects lazily). */
  readonly events: () => Promise<Pick<EventService, "subscribe">>;
  /** Whether the queue exists: a name typed in a URL must not cost a subscription. */
  readonly exists: (queue: string) => Promise<boolean>;
  /** Whether the events stream keeps events to replay (`events.enabled`). */
  readonly history: boolean;
  /** The time now, ms since the epoch. */
  readonly now: () => number;
}

/** Hears the events of the queues it watches, and hands them on. */
export class LiveFeed {
  /** Completed and failed per minute, for the charts. */
  readonly activity: Activity = new Activity();
  readonly #source: FeedSource;
  /** Per queue watched (or being checked), settled once it is subscribed to. */
  readonly #watching = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(event: JobEvent) => void>();
  readonly #stop = new AbortController();

  /** @param source where the events come from */
  constructor(source: FeedSource) {
    this.#source = source;
  }

  /**
   * Starts hearing the events of each of `queues` that exists and is not heard yet.
   *
   * @param options `known`: the queues were just listed, so they need no check
   * @returns once every one of them that exists is subscribed to: its later events are heard
   */
  async watch(
    queues: readonly string[],
    options: { readonly known?: boolean } = {},
  ): Promise<void> {
    await Promise.all(queues.map((queue) => {
      let watching = this.#watching.get(queue);
      if (!watching) {
        watching = this.#subscribe(queue, options.known ?? false);
        this.#watching.set(queue, watching);
        // a queue that is not there yet is checked again when next asked for
        watching.catch(() => this.#watching.delete(queue));
      }
      return watching;
    }));
  }

  /**
   * Calls `listener` with every event heard from now on.
   *
   * @returns a function that stops the calls
   */
  listen(listener: (event: JobEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every subscription. */
  close(): void {
    this.#stop.abort();
    this.#listeners.clear();
  }

  async #subscribe(queue: string, known: boolean): Promise<void> {
    if (!known && !await this.#source.exists(queue)) {
      throw new RangeError(`There is no queue ${queue} to watch`);
    }
    const events = await this.#source.events();
    if (this.#stop.signal.aborted) return;
    // the charts' hour, replayed and then live from one subscription: nothing counted twice
    const now = this.#source.now();
    const since = this.#source.history ? now - ACTIVITY_MINUTES * MINUTE_MS : undefined;
    // what an earlier subscription counted, the replay counts again
    if (since !== undefined) this.activity.forget(queue);
    const subscription = events.subscribe({ queue, since, signal: this.#stop.signal });
    void this.#hear(subscription, now).then((heard) => this.#ended(queue, heard));
  }

  /**
   * A subscription ended or failed, the feed still open: the queue is watched afresh. At once
   * when it heard events, else at the next watch() of it (each page of the queue asks), so
   * that one failing from the start does not spin.
   */
  #ended(queue: string, heard: number): void {
    if (this.#stop.signal.aborted) return;
    this.#watching.delete(queue);
    if (heard > 0) void this.watch([queue]).catch(() => {});
  }

  /**
   * Counts every event; hands on those of `liveFrom` or later, which pages have not shown.
   *
   * @returns how many events it heard, once the subscription ends or fails
   */
  async #hear(subscription: AsyncIterable<JobEvent>, liveFrom: number): Promise<number> {
    let heard = 0;
    try {
      for await (const event of subscription) {
        heard += 1;
        this.activity.record(event);
        if (event.at < liveFrom) continue;
        for (const listener of this.#listeners) {
          try {
            listener(event);
          } catch {
            // one page's broken stream must not stop the others'
          }
        }
      }
    } catch {
      // the connection closed under it, or its stream is gone: see #ended
    }
    return heard;
  }
}
