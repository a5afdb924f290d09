/**
 * Running one attempt's handler against its timeout and its abort signal.
 *
 * @module
 */
import type { Clock } from "../clock.ts";

/** What an attempt's handler produced. */
export type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/**
 * The handler's outcome, or a failure when `timeoutMs` passes first by `clock` (aborting the
 * signal), or when the signal is aborted for another reason (a hand-back at shutdown).
 */
export function settleFirst(
  handled: Promise<Outcome>,
  controller: AbortController,
  timeout: { ms: number; clock: Clock; error: () => Error },
): Promise<Outcome> {
  return new Promise((resolve) => {
    // a job without a timeout, the common case, costs no timer
    const settled = timeout.ms > 0 ? new AbortController() : undefined;
    if (settled) {
      timeout.clock.sleep(timeout.ms, settled.signal)
        .then(() => controller.abort(timeout.error()), () => {});
    }
    const onAbort = () => {
      settled?.abort();
      resolve({ ok: false, error: controller.signal.reason });
    };
    controller.signal.addEventListener("abort", onAbort, { once: true });
    handled.then((outcome) => {
      settled?.abort();
      controller.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    });
  });
}
