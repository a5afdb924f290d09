/**
 * The dashboard's one subscription per queue to the live events: they feed the charts, the
 * job timelines and every open page's server-sent events.
 *
 * @module
 */
import type { JobEvent } from "../core/job_event.ts";
import { type EventFilter, EventService } from "../services/business/event_service.ts";
import type { ServiceManager } from "../services/core/service_manager.ts";
import { Activity } from "./activity.ts";
import { RecentEvents } from "./recent_events.ts";

/** Hears the events of the queues it watches, and hands them on. */
export class LiveFeed {
  /** Completed and failed per minute, for the charts. */
  readonly activity: Activity = new Activity();
  /** The latest events of each job, for its timeline. */
  readonly recent: RecentEvents = new RecentEvents();
  readonly #events: Pick<EventService, "subscribe">;
  readonly #watched = new Set<string>();
  readonly #listeners = new Set<(event: JobEvent) => void>();
  readonly #stop = new AbortController();

  /** @param events where the events come from */
  constructor(events: Pick<EventService, "subscribe">) {
    this.#events = events;
  }

  /** Starts hearing the events of each of `queues` not heard yet. */
  watch(queues: readonly string[]): void {
    if (this.#stop.signal.aborted) return;
    for (const queue of queues) {
      if (this.#watched.has(queue)) continue;
      this.#watched.add(queue);
      const subscription = this.#events.subscribe({ queue, signal: this.#stop.signal });
      void this.#hear(subscription);
    }
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

  async #hear(subscription: AsyncIterable<JobEvent>): Promise<void> {
    try {
      for await (const event of subscription) {
        this.activity.record(event);
        this.recent.record(event);
        for (const listener of this.#listeners) {
          try {
            listener(event);
          } catch {
            // one page's broken stream must not stop the others'
          }
        }
      }
    } catch {
      // the connection closed under it: the dashboard is closing
    }
  }
}

/**
 * The event service of `services`, got when the first queue is watched: so that making a
 * dashboard connects nothing, and a dashboard made before the server is up still starts.
 */
export class LazyEvents implements Pick<EventService, "subscribe"> {
  readonly #services: ServiceManager;
  #events?: Promise<EventService>;

  /** @param services where the event service comes from */
  constructor(services: ServiceManager) {
    this.#services = services;
  }

  /** Subscribes as `EventService.subscribe()` does, once the service is there. */
  subscribe(filter: EventFilter): AsyncIterableIterator<JobEvent> {
    this.#events ??= this.#services.get(EventService);
    const events = this.#events;
    return (async function* () {
      yield* (await events).subscribe(filter);
    })();
  }
}
