/**
 * The server-sent events an open page listens to: the events of what it shows, gathered a
 * moment so that a burst arrives as one message, until the page or the dashboard goes.
 *
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { JobEvent } from "../core/job_event.ts";
import type { LiveFeed } from "./live_feed.ts";

// how long events gather before they go to an open page together (real time: for people)
const LIVE_BATCH_MS = 250;

/** Which events a page is sent. */
export interface LiveFilter {
  /** Only this queue's; all the dashboard watches when omitted. */
  readonly queue?: string;
  /** Only this job's. */
  readonly jobId?: string;
}

/**
 * Answers with a stream of `jobs` events (each a JSON array of job events), after one `ready`
 * event once the page will miss none.
 *
 * @param closing ends the stream: the dashboard is closing
 */
export function liveStream(
  c: Context,
  feed: LiveFeed,
  filter: LiveFilter,
  closing: AbortSignal,
): Response {
  const { queue, jobId } = filter;
  return streamSSE(c, async (stream) => {
    // a queue not there yet sends nothing until a page that lists it watches it
    if (queue) await feed.watch([queue]).catch(() => {});
    let batch: JobEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = () => {
      timer = undefined;
      const events = batch;
      batch = [];
      void stream.writeSSE({ event: "jobs", data: JSON.stringify(events) }).catch(() => {});
    };
    const stop = feed.listen((event) => {
      if ((queue && event.queue !== queue) || (jobId && event.jobId !== jobId)) return;
      batch.push(event);
      timer ??= setTimeout(send, LIVE_BATCH_MS); // real time: see LIVE_BATCH_MS
    });
    await stream.writeSSE({ event: "ready", data: "{}" });
    const ended = Promise.withResolvers<void>();
    const end = () => ended.resolve();
    // the page may have gone already, while its queue was looked up: onAbort would not fire
    if (stream.aborted || closing.aborted) end();
    stream.onAbort(end);
    closing.addEventListener("abort", end, { once: true });
    await ended.promise;
    // the dashboard lives on after each page: nothing of this one stays on its signal
    closing.removeEventListener("abort", end);
    stop();
    clearTimeout(timer);
  });
}
