/**
 * Who may do what on the dashboard: where it may listen without a token, and whether a
 * request may run an action.
 *
 * @module
 */

/** How the dashboard guards its actions. */
export interface AccessPolicy {
  /** The secret every action needs; none means actions only from a loopback `Host`. */
  readonly token?: string;
  /** Refuse every action, and show no buttons for them. */
  readonly readOnly?: boolean;
}

/** The header an action may carry the token in, instead of the form field `token`. */
export const TOKEN_HEADER = "X-Naq-Token";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** True for a host name or address that only this machine reaches. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_HOSTS.has(name) || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(name) ||
    name.endsWith(".localhost");
}

/**
 * Checks that the dashboard may listen on `host`: beyond this machine only with a token, or
 * explicitly read-only.
 *
 * @throws {Error} naming the host and the two ways to allow it
 */
export function checkExposure(host: string, policy: AccessPolicy): void {
  if (isLoopback(host) || policy.token || policy.readOnly) return;
  throw new Error(
    `Cannot serve the dashboard on ${host} without a token: anyone who reaches it could ` +
      `retry, purge and pause jobs. Set dashboard.token (or NAQ_DASHBOARD_TOKEN, or --token), ` +
      `or pass --read-only, or listen on 127.0.0.1`,
  );
}

/** Why an action is refused; `null` when it may run. */
export function refusal(
  policy: AccessPolicy,
  request: {
    readonly host: string;
    readonly token?: string;
    /** The address the request came from, when the server says (Deno.serve does). */
    readonly peer?: string;
  },
): string | null {
  if (policy.readOnly) return "the dashboard is read-only";
  if (policy.token) {
    return request.token !== undefined && sameSecret(request.token, policy.token)
      ? null
      : `this action needs the dashboard's token (the ${TOKEN_HEADER} header or a token field)`;
  }
  // without a token, only this machine may act. Any client but a browser chooses its Host,
  // so the address it came from decides where it is known
  if (request.peer !== undefined && !isLoopback(request.peer)) {
    return `without a dashboard token, actions are taken only from this machine, not from ` +
      request.peer;
  }
  // and a page elsewhere that rebinds its own name to 127.0.0.1 still sends its own name
  return isLoopback(hostName(request.host))
    ? null
    : `without a dashboard token, actions are taken only on localhost, not ${request.host}`;
}

/** The name in a `Host` header, without its port. */
export function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0];
}

/** Compares secrets in time that does not depend on where they differ. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}
