/**
 * Bounded concurrency for batches: enough calls in flight to fill the pipe, not so many
 * that a batch of a million floods the client.
 *
 * @module
 */

/** Maps `items` through `work` with at most `window` calls in flight, keeping order. */
export async function inWindows<T, R>(
  items: readonly T[],
  window: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(window, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}
