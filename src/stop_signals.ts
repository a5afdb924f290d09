/**
 * Graceful stops from the operating system, for the long-running classes.
 *
 * @module
 */

/**
 * Runs `run`, calling `stop` on SIGINT or SIGTERM meanwhile when `enabled`; the listeners are
 * removed once `run` settles.
 */
export async function onStopSignals<T>(
  enabled: boolean,
  stop: () => void,
  run: () => Promise<T>,
): Promise<T> {
  if (!enabled) return await run();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    return await run();
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}
