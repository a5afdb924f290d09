/**
 * How far a process's clock is off the server's, judged by one write the server stamped.
 *
 * naq computes due times (a delay, a retry, a schedule's next instant) on the process's clock,
 * and nats-server fires them on its own: the two must agree. The server's stamp on a write sent
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
  const [side, when] = skewMs > 0 ? ["ahead of", "early"] : ["behind", "late"];
  return `this process's clock is ${seconds} s ${side} nats-server's: delays, retries and ` +
    `schedules computed here fire up to ${seconds} s ${when}. Keep every host's clock in sync ` +
    `(NTP: chrony or systemd-timesyncd)`;
}
