/**
 * What one scheduler tick costs as the number of schedules in the leader's index grows (each
 * cron or `every` schedule is one entry, due at its next instant; delayed jobs are not in it,
 * as the server fires them): the index answers "what is due now, and when is the next?"
 * without looking at what is not due. The baseline is 1,000 pending; flat means the 100,000
 * row's ratio stays near 1x.
 */
import { DueIndex } from "../src/core/due_index.ts";

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

function pending(count: number): DueIndex<number> {
  const index = new DueIndex<number>();
  // spread over the next hour, in random order, as enqueues arrive
  for (let seq = 1; seq <= count; seq++) index.set(seq, NOW + 1 + Math.floor(Math.random() * HOUR));
  return index;
}

for (const count of [1_000, 10_000, 100_000]) {
  const index = pending(count);
  Deno.bench({
    name: `idle tick, ${count.toLocaleString("en")} pending`,
    group: "idle tick",
    baseline: count === 1_000,
    fn: () => {
      index.takeDue(NOW);
      index.next();
    },
  });
}

for (const count of [1_000, 10_000, 100_000]) {
  const index = pending(count);
  let seq = count;
  let now = NOW;
  Deno.bench({
    name: `tick firing 10, ${count.toLocaleString("en")} pending`,
    group: "tick firing 10",
    baseline: count === 1_000,
    fn: () => {
      // ten come due each tick, and ten new ones arrive: the pending count stays the same
      for (let i = 0; i < 10; i++) index.set(++seq, now + 1);
      now += 1;
      index.takeDue(now);
      index.next();
    },
  });
}
