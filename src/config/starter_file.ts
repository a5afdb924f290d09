/**
 * The configuration file `naq config init` writes: every active line is a setting at its
 * default, with what it means, so the file changes nothing until it is edited; examples of
 * what else may be set stay in comments. It reads no environment variable (no `${VAR}`), so
 * `naq config validate` passes on it with the least permissions. The README shows the same
 * file, and a test keeps the two equal.
 *
 * @module
 */

/** The text of a starter `naq.yaml`. */
export const STARTER_CONFIG = `nats:
  servers: [nats://127.0.0.1:4222] # strings may read the environment: "\${NATS_URL:-nats://…}"
  name: naq # the connection name the server shows
  # user, pass, token, nkeySeed, credsFile: authentication
  # tls: { ca, cert, key }: file paths
  connectTimeout: 5s
  reconnect: { wait: 2s, jitter: 100ms, maxAttempts: -1 } # -1: forever
prefix: naq # every stream, subject and bucket name starts with it
streams: { replicas: 1 }
queueDefaults:
  ackWait: 30s
  attempts: 3
  maxInFlight: 1000 # per queue, across all workers
  maxStalls: 3 # reruns of a job whose worker died, before it is dead
  backoff: {
    type: exponential,
    delay: 1s,
    maxDelay: 1h,
    jitter: 0.1,
  } # or fixed, or list with delays: [1s, 10s, 1m]
# queues: # per queue, only what differs from queueDefaults
#   emails: { attempts: 5, backoff: { delay: 10s } }
worker: { concurrency: 10, heartbeat: 5s, shutdownTimeout: 30s, scheduler: true }
scheduler: { lease: 15s } # a leader silent this long is replaced
events: { enabled: true, maxAge: 7d, maxBytes: 1GiB } # replicas: streams.replicas unless set
results: { ttl: 24h }
# dashboard: { token: <secret> } # or NAQ_DASHBOARD_TOKEN: for actions, and beyond localhost
`;
