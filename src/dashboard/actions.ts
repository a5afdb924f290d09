/**
 * The dashboard's actions, each a POST that needs the token (see `access.ts`) and answers with
 * a redirect to the page it was taken from, saying what it did.
 *
 * @module
 */
import type { Hono } from "hono";
import { Queue } from "../queue.ts";
import { DeadLetterService } from "../services/business/dead_letter_service.ts";
import type { DashboardContext } from "./context.ts";

/** Dead letters read per round of "retry all". */
const RETRY_ROUND = 100;

/** What an action did, and the page to show it on. */
interface Done {
  /** The dashboard path to go back to, without the base. */
  readonly back: string;
  /** What happened, in words. */
  readonly notice: string;
}

/** Adds the action routes to `app`; each runs once access is checked by the app. */
export function addActions(app: Hono, context: DashboardContext): void {
  const { services } = context;
  const queue = (name: string) => new Queue(name, { services });
  const queuePath = (name: string) => `/queues/${encodeURIComponent(name)}`;
  const jobPath = (name: string, id: string) => `${queuePath(name)}/jobs/${encodeURIComponent(id)}`;
  const route = (
    path: string,
    act: (params: Record<string, string>, form: FormValues) => Promise<Done>,
  ) =>
    app.post(path, async (c) => {
      const form = await c.req.parseBody() as FormValues;
      const done = await act(c.req.param() as Record<string, string>, form);
      const url = `${context.base}${done.back}${done.back.includes("?") ? "&" : "?"}notice=${
        encodeURIComponent(done.notice)
      }`;
      return c.redirect(url, 303);
    });

  route("/queues/:queue/pause", async ({ queue: name }) => {
    await queue(name).pause();
    return {
      back: queuePath(name),
      notice: `Paused queue ${name}: its workers start no job until resumed`,
    };
  });
  route("/queues/:queue/resume", async ({ queue: name }) => {
    await queue(name).resume();
    return { back: queuePath(name), notice: `Resumed queue ${name}` };
  });
  route("/queues/:queue/jobs/:id/retry", async ({ queue: name, id }) => {
    await queue(name).retry(id);
    return { back: jobPath(name, id), notice: `Job ${id} runs again from its first attempt` };
  });
  route("/queues/:queue/jobs/:id/cancel", async ({ queue: name, id }) => {
    const cancelled = await queue(name).cancel(id);
    return {
      back: jobPath(name, id),
      notice: cancelled ? `Cancelled job ${id}` : `Job ${id} had finished: nothing to cancel`,
    };
  });
  route("/queues/:queue/dead/retry", async ({ queue: name }, form) => {
    const id = typeof form.job === "string" ? form.job : "";
    await queue(name).retry(id);
    return {
      back: `${queuePath(name)}/dead`,
      notice: `Job ${id} runs again from its first attempt`,
    };
  });
  route("/queues/:queue/dead/retry-all", async ({ queue: name }) => {
    const retried = await retryAll(context, queue(name));
    return {
      back: `${queuePath(name)}/dead`,
      notice: `${retried.ok} dead job${retried.ok === 1 ? "" : "s"} run again` +
        (retried.failed ? `; ${retried.failed} could not be (${retried.firstError})` : ""),
    };
  });
  route("/queues/:queue/dead/purge", async ({ queue: name }) => {
    const removed = await queue(name).purgeDeadLetters();
    return {
      back: `${queuePath(name)}/dead`,
      notice: `Removed ${removed} dead letter${removed === 1 ? "" : "s"}`,
    };
  });
  route("/queues/:queue/schedules/:id/pause", async ({ queue: name, id }) => {
    await queue(name).pauseSchedule(id);
    return { back: `/schedules`, notice: `Paused schedule ${id} of ${name}` };
  });
  route("/queues/:queue/schedules/:id/resume", async ({ queue: name, id }) => {
    await queue(name).resumeSchedule(id);
    return { back: `/schedules`, notice: `Resumed schedule ${id} of ${name}` };
  });
  route("/queues/:queue/schedules/:id/remove", async ({ queue: name, id }) => {
    const removed = await queue(name).removeSchedule(id);
    return {
      back: `/schedules`,
      notice: removed ? `Removed schedule ${id} of ${name}` : `Queue ${name} had no schedule ${id}`,
    };
  });
}

/** The fields of a posted form. */
type FormValues = Record<string, string | File>;

/**
 * Retries every dead letter of the queue, the oldest first, a round of them at a time (each
 * retried letter leaves the store); stops after as many as there were when it began.
 */
async function retryAll(
  context: DashboardContext,
  queue: Queue,
): Promise<{ ok: number; failed: number; firstError?: string }> {
  const letters = await context.services.get(DeadLetterService);
  const total = await letters.count(queue.name);
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const skipped = new Set<number>();
  while (ok + failed < total) {
    const round = (await queue.deadLetters(RETRY_ROUND + skipped.size))
      .filter((letter) => !skipped.has(letter.seq));
    if (round.length === 0) break;
    for (const letter of round.slice(0, total - ok - failed)) {
      try {
        await queue.retryDeadLetter(letter);
        ok++;
      } catch (err) {
        // one that cannot be retried stays, and the rest go on
        skipped.add(letter.seq);
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  }
  return { ok, failed, firstError };
}
