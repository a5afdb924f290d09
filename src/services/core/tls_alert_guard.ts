/**
 * Keeps a TLS alert that nats.js leaves without a listener from ending the process.
 *
 * Why: when `@nats-io/transport-node` 3.4.0 upgrades a socket to TLS, it removes the socket's
 * listeners once the handshake completes, and adds its own a moment later. A server that
 * refuses the client certificate says so just after the handshake (TLS 1.3), and about one
 * time in two under Deno that alert lands in between: an 'error' event with no listener,
 * which Deno raises as an uncaught error. naq's probe keeps a first connect from ever dialling
 * such a server, but a reconnect dials on its own: a worker whose certificate expired, or
 * whose server now trusts another CA, would die within seconds. While a connection of naq's
 * is dialling, such an alert (an `ERR_SSL_…ALERT…` error, which only a peer's refusal
 * raises) is taken as that connection's, and kept from ending the process; nats.js then times
 * that dial out, and tries again as configured.
 *
 * @module
 */

/** Called with each refusal caught while the holder is dialling. */
export type AlertListener = (alert: Error) => void;

const holders = new Set<AlertListener>();

function isAlert(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === "string" && /^ERR_SSL_.*ALERT/.test(code);
}

function onUncaught(event: ErrorEvent): void {
  if (!isAlert(event.error)) return;
  event.preventDefault();
  for (const listener of [...holders]) listener(event.error);
}

/**
 * Catches TLS alerts until the returned function is called: from the moment a connection
 * starts dialling until it is connected, or closed.
 *
 * @param listener told of each alert caught meanwhile, if given
 * @returns a function that stops catching for this holder; calling it again does nothing
 */
export function catchTlsAlerts(listener?: AlertListener): () => void {
  const holder: AlertListener = (alert) => listener?.(alert);
  if (holders.size === 0) globalThis.addEventListener("error", onUncaught);
  holders.add(holder);
  return () => {
    if (!holders.delete(holder)) return;
    if (holders.size === 0) globalThis.removeEventListener("error", onUncaught);
  };
}
