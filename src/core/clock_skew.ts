/**
 * How far a process's clock is off the server's, judged by one write the server stamped.
 *
 * naq computes due times on the process's clock, and the two must agree: a delay's or a retry's
 * instant is fired by nats-server on its own clock (so a process ahead sets them late), and a
 * schedule's instants by the leading scheduler on the process's clock (so one ahead fires them
 * early, in the server's time). The server's stamp on a write sent
 * at `sentAt` and answered at `answeredAt` (both by the process's clock) falls between the two
 * when the clocks agree; how far outside it falls is how far, at least, they disagree. The
 * round trip is not counted as disagreement, however slow.
 *
 * @module
 */

/** Past this, a process's clock is said to disagree with the server's. */
export const CLOCK_SKEW_LIMIT_MS = 5_000;

/**
 * The least by which the process's clock is off the server's.
 *
 * @param sentAt when the write was sent, by the process's clock
 * @param answeredAt when the server's answer came, by the process's clock
 * @param storedAt the server's stamp on the write, by its clock
 * @returns ms the process's clock is ahead (positive) or behind (negative); 0 when the stamp
 *   falls within the round trip
 */
export function clockSkewMs(sentAt: number, answeredAt: number, storedAt: number): number {
  if (storedAt < sentAt) return sentAt - storedAt;
  if (storedAt > answeredAt) return answeredAt - storedAt;
  return 0;
}

/**
 * What a disagreement beyond {@linkcode CLOCK_SKEW_LIMIT_MS} means, to warn of; `undefined`
 * within it.
 */
export function describeClockSkew(skewMs: number): string | undefined {
  if (Math.abs(skewMs) <= CLOCK_SKEW_LIMIT_MS) return undefined;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  // the server fires delays and retries; the scheduler fires schedules on this clock
  const [side, delays, schedules] = skewMs > 0
    ? ["ahead of", "late", "early"]
    : ["behind", "early", "late"];
  return `this process's clock is ${seconds} s ${side} nats-server's: delays and retries set ` +
    `here fire up to ${seconds} s ${delays}, schedules fired here up to ${seconds} s ` +
    `${schedules}. Keep every host's clock in sync (NTP: chrony or systemd-timesyncd)`;
}
