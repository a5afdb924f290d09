/**
 * Running one attempt's handler against its timeout and its abort signal.
 *
 * @module
 */

/** What an attempt's handler produced. */
export type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/**
 * The handler's outcome, or a failure when `timeoutMs` passes first (aborting the signal), or
 * when the signal is aborted for another reason (a hand-back at shutdown).
 */
export function settleFirst(
  handled: Promise<Outcome>,
  controller: AbortController,
  timeoutMs: number,
  timeoutError: () => Error,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = timeoutMs > 0
      ? setTimeout(() => controller.abort(timeoutError()), timeoutMs)
      : undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve({ ok: false, error: controller.signal.reason });
    };
    controller.signal.addEventListener("abort", onAbort, { once: true });
    handled.then((outcome) => {
      clearTimeout(timer);
      controller.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    });
  });
}
