import { connect } from "@nats-io/transport-node";
import {
  type Authenticator,
  ClosedConnectionError,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  RequestError,
  TimeoutError as RequestTimeout,
} from "@nats-io/nats-core";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import { fromSeed } from "@nats-io/nkeys";
import type { Clock } from "../../clock.ts";
import type { NaqConfig } from "../../config/mod.ts";
import { ConfigError, ConnectionError, ErrorCode, isNaqError } from "../../errors.ts";
import { isSupportedServerVersion, MIN_NATS_SERVER_VERSION } from "../../core/server_version.ts";
import { LEADERLESS_PATIENCE_MS } from "./retry_while_leaderless.ts";
import { type Credentials, type ProbeResult, probeServers } from "./server_probe.ts";
import { catchTlsAlerts } from "./tls_alert_guard.ts";
import { describeTlsFailure, readTlsFiles, type TlsMaterial } from "./tls_upgrade.ts";
import type { ServiceManager } from "./service_manager.ts";

/**
 * How long {@linkcode ConnectionService.reaching} waits for a lost connection to come back:
 * as long as a write waits for a stream without a leader, so that a server restart is ridden
 * out and a server that stays down is reported.
 */
export const RECONNECT_PATIENCE_MS: number = LEADERLESS_PATIENCE_MS;

/** A core message as naq's services read it. */
export interface CoreMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Answers a request; false when the message asked for no answer. */
  respond(data?: Uint8Array | string): boolean;
}

/** A subscription to core messages. */
export interface CoreSubscription {
  /** Stops it; messages already received are still handed out. */
  unsubscribe(): void;
  /** Settles once it stopped. */
  readonly closed: Promise<void | Error>;
}

/** Since when, and from which server, the connection is lost; settled when it is back. */
interface Outage {
  readonly server: string;
  readonly since: number;
  readonly over: PromiseWithResolvers<void>;
}

/**
 * The one NATS connection of a {@linkcode ServiceManager}. It reconnects for as long as the
 * configuration says (forever by default) and drains on dispose.
 */
export class ConnectionService implements AsyncDisposable {
  /**
   * The underlying connection, for naq's own services.
   *
   * @ignore
   */
  readonly nc: NatsConnection;
  readonly #servers: readonly string[];
  readonly #clock: Clock;
  #js?: JetStreamClient;
  #jsm?: Promise<JetStreamManager>;
  #disposed?: Promise<void>;
  #outage?: Outage;
  #outages = 0;
  readonly #reconnectListeners = new Set<() => void>();
  readonly #tls: TlsMaterial;
  /** Asks the servers again, as at connect: why they cannot be reached, if they say. */
  readonly #probe: () => Promise<ProbeResult>;

  private constructor(
    nc: NatsConnection,
    servers: readonly string[],
    clock: Clock,
    tls: TlsMaterial,
    probe: () => Promise<ProbeResult>,
  ) {
    this.nc = nc;
    this.#servers = servers;
    this.#clock = clock;
    this.#tls = tls;
    this.#probe = probe;
    void this.#followStatus();
  }

  /**
   * Calls `listener` after each reconnect: core messages sent meanwhile were lost, and who
   * waited on one must look again. Returns a function that removes the listener.
   */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  /**
   * Connects with the manager's `nats` configuration.
   *
   * @throws {ConnectionError} naming the server URLs, within `nats.connectTimeout`; when a
   *   server refuses the login or the TLS session, saying what it refused; when a TLS or
   *   credentials file cannot be read; or when the server is older than naq supports
   * @throws {ConfigError} when `nats.nkeySeed` is not a seed, or `nats.credsFile` holds no
   *   credentials
   */
  static async create(services: ServiceManager): Promise<ConnectionService> {
    const { nc, tls, probe } = await connectWithin(services.config.nats);
    const version = nc.info?.version ?? "unknown";
    if (!isSupportedServerVersion(version)) {
      await nc.close();
      throw new ConnectionError(
        [...services.config.nats.servers],
        `Cannot use the NATS server at ${nc.getServer()}: it runs nats-server ${version}, and ` +
          `naq needs ${MIN_NATS_SERVER_VERSION} or newer, the oldest it is built and tested ` +
          `for. Upgrade nats-server: see ` +
          `https://docs.nats.io/running-a-nats-service/introduction/installation`,
      );
    }
    return new ConnectionService(
      nc,
      [...services.config.nats.servers],
      services.clock,
      tls,
      probe,
    );
  }

  /** True once the connection is closed for good (disposed, or out of reconnect attempts). */
  get closed(): boolean {
    return this.nc.isClosed();
  }

  /** True while a server is connected; false while reconnecting, and once closed. */
  get connected(): boolean {
    return !this.nc.isClosed() && this.#outage === undefined;
  }

  /**
   * Runs `operation`, which asks the server something, saying so when no server can be
   * reached: nats.js would time out with a bare `TimeoutError` after 5 s. While the connection
   * is lost, it first waits for it to come back, for up to {@linkcode RECONNECT_PATIENCE_MS}
   * by the manager's clock; an operation that then fails unanswered (timed out, or found no
   * stream leader) while the connection is, or was, lost fails as the server's absence.
   *
   * @param what what the operation does, as in "Cannot <what>": `enqueue a job to queue emails`
   * @returns what the operation returned
   * @throws {ConnectionError} naming the servers configured and the one lost, when the
   *   connection does not come back in time, was lost while the operation ran, or is closed
   *   for good; any other error of the operation as it was
   */
  async reaching<T>(what: string, operation: () => Promise<T>): Promise<T> {
    await this.#untilConnected(what);
    const outages = this.#outages;
    try {
      return await operation();
    } catch (err) {
      if ((this.connected && this.#outages === outages) || !isUnanswered(err)) throw err;
      throw this.#unreachable(what, err, await this.#refusal());
    }
  }

  /**
   * True when the manager's connection is closed for good, or cannot be had at all: for a
   * long-running loop deciding between retrying and giving up.
   */
  static async closedFor(services: ServiceManager): Promise<boolean> {
    try {
      return (await services.get(ConnectionService)).closed;
    } catch {
      return true;
    }
  }

  /** The largest message the server takes, in bytes. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /**
   * Sends a core message: at most once, to whoever listens now.
   *
   * @throws when the connection is closed
   */
  publish(subject: string, data?: Uint8Array | string): void {
    this.nc.publish(subject, data);
  }

  /**
   * Calls `onMessage` for each core message on `subject` (wildcards allowed), from the moment
   * this server has the subscription; see {@linkcode ConnectionService.flush} for the cluster.
   *
   * @ignore for naq's own services
   */
  listen(subject: string, onMessage: (message: CoreMessage) => void): CoreSubscription {
    return this.nc.subscribe(subject, {
      callback: (err, message) => {
        if (!err) onMessage(message);
      },
    });
  }

  /**
   * The core messages on `subject`, as they come, until the subscription is stopped.
   *
   * @ignore for naq's own services
   */
  messages(subject: string): CoreSubscription & AsyncIterable<CoreMessage> {
    return this.nc.subscribe(subject);
  }

  /**
   * Asks whoever listens on `subject`, and returns the first answer.
   *
   * @throws when no one answers within `timeoutMs`
   */
  async request(
    subject: string,
    data: Uint8Array | undefined,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    return (await this.nc.request(subject, data, { timeout: timeoutMs })).data;
  }

  /** Waits until the server has everything sent so far; at once when the connection is closed. */
  async flush(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  /** The version of the server this connection is on, such as `"2.9.10"`. */
  get serverVersion(): string {
    return this.nc.info?.version ?? "0.0.0";
  }

  /** This client's address as the server it is connected to sees it; `undefined` if unknown. */
  get clientAddress(): string | undefined {
    return this.nc.info?.client_ip;
  }

  /**
   * The JetStream client for this connection, for naq's own services.
   *
   * @ignore
   */
  jetstream(): JetStreamClient {
    return this.#js ??= jetstream(this.nc);
  }

  /**
   * The JetStream manager for this connection, for naq's own services.
   *
   * @ignore
   */
  jetstreamManager(): Promise<JetStreamManager> {
    // no check of the account on creation: a fresh cluster may not answer it for seconds,
    // and each call that needs JetStream says so itself, and waits where it can
    this.#jsm ??= jetstreamManager(this.nc, { checkAPI: false }).catch((err) => {
      this.#jsm = undefined;
      throw err;
    });
    return this.#jsm;
  }

  async #untilConnected(what: string): Promise<void> {
    const outage = this.#outage;
    if (this.nc.isClosed()) throw this.#unreachable(what);
    if (!outage) return;
    const stop = new AbortController();
    const patience = this.#clock.sleep(RECONNECT_PATIENCE_MS, stop.signal).catch(() => {});
    await Promise.race([outage.over.promise, patience]);
    stop.abort();
    if (!this.connected) throw this.#unreachable(what, undefined, await this.#refusal());
  }

  /**
   * During an outage, what a server refused (the login, a certificate), in its words: a
   * server that answers and refuses is not one to look for.
   */
  async #refusal(): Promise<string | undefined> {
    if (!this.#outage || this.nc.isClosed()) return undefined;
    const probe = await this.#probe();
    return probe.refused ? [...probe.failures.values()].join("; ") : undefined;
  }

  #unreachable(what: string, cause?: unknown, refusal?: string): ConnectionError {
    const servers = this.#servers.join(", ");
    const outage = this.#outage;
    const check = refusal
      ? `The server now answers, and refuses: ${refusal}.`
      : "Check that nats-server is running there, or set nats.servers (NAQ_NATS_SERVERS).";
    const message = this.nc.isClosed()
      ? `Cannot ${what}: the connection to NATS at ${servers} is closed for good (its manager ` +
        `was closed, or nats.reconnect.maxAttempts was reached)`
      : outage
      ? `Cannot ${what}: NATS at ${servers} could not be reached; the connection to ` +
        `${outage.server} was lost ${
          Math.round((this.#clock.monotonic() - outage.since) / 1_000)
        } s ago and did not come back within the ${RECONNECT_PATIENCE_MS / 1_000} s this ` +
        `waited. ${check}`
      : `Cannot ${what}: the connection to NATS at ${servers} was lost while it ran, and came ` +
        `back; it may or may not have been done`;
    return new ConnectionError(this.#servers, message, { cause });
  }

  /** Keeps track of outages: from a disconnect to the reconnect, or to the close. */
  async #followStatus(): Promise<void> {
    let stopCatching: (() => void) | undefined;
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect" && !this.#outage) {
        if (this.#tls.configured || this.nc.info?.tls_required || this.nc.info?.tls_available) {
          // the reconnects dial TLS through nats.js: see tls_alert_guard.ts
          stopCatching ??= catchTlsAlerts();
        }
        this.#outages += 1;
        this.#outage = {
          server: status.server,
          since: this.#clock.monotonic(),
          over: Promise.withResolvers(),
        };
      } else if (status.type === "reconnect" || status.type === "close") {
        this.#outage?.over.resolve();
        stopCatching?.();
        stopCatching = undefined;
        if (status.type === "reconnect") {
          this.#outage = undefined;
          for (const listener of [...this.#reconnectListeners]) listener();
        }
      }
    }
    stopCatching?.();
    this.#outage?.over.resolve();
  }

  /** Drains the connection: in-flight messages are delivered, then it closes. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#drain();
    return this.#disposed;
  }

  async #drain(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      // drain refuses while reconnecting or already draining; closing is what remains
      await this.nc.close();
    }
  }
}

type NatsSettings = NaqConfig["nats"];

/**
 * True for what a request that no server answered ends in: nats.js's timeout or request
 * error, a connection closed under it, or naq's `UNAVAILABLE` after waiting out such
 * timeouts. A server's refusal (a JetStream API error) is an answer, and is none of these.
 */
function isUnanswered(err: unknown): boolean {
  return err instanceof RequestTimeout || err instanceof RequestError ||
    err instanceof ClosedConnectionError || isNaqError(err, ErrorCode.Unavailable);
}

/**
 * Connects, giving up after `connectTimeout` even when a server accepts TCP and then says
 * nothing. A connection that completes after giving up is closed, not leaked.
 */
async function connectWithin(
  nats: NatsSettings,
): Promise<{ nc: NatsConnection; tls: TlsMaterial; probe: () => Promise<ProbeResult> }> {
  const configured = [...nats.servers];
  const fail = (reason: string, cause?: unknown) =>
    new ConnectionError(
      configured,
      `Cannot connect to NATS at ${configured.join(", ")}: ${reason}. ` +
        `Check that nats-server is running there, or set nats.servers (NAQ_NATS_SERVERS).`,
      { cause },
    );
  const options = await connectionOptions(nats);
  const tls = await readTlsFiles(nats.tls, configured);
  const probeAgain = () =>
    probeServers(configured, nats.connectTimeout, { credentials: loginFields(options), tls });
  const probe = await probeAgain();
  if (probe.refused === "tls") {
    throw new ConnectionError(
      configured,
      `Cannot connect to NATS at ${configured.join(", ")}: ` +
        `${[...probe.failures.values()].join("; ")}`,
    );
  }
  if (probe.refused === "login") {
    throw new ConnectionError(
      configured,
      `Cannot connect to NATS at ${configured.join(", ")}: ` +
        `${[...probe.failures.values()].join("; ")}. Check nats.user and nats.pass, ` +
        `nats.token, nats.nkeySeed or nats.credsFile (NAQ_NATS_USER, NAQ_NATS_PASS, …).`,
    );
  }
  if (probe.failures.size === configured.length) {
    throw fail([...probe.failures.values()].join("; "));
  }
  // the probe passed, but the server may refuse the certificate now: see tls_alert_guard.ts
  let refusal: unknown;
  const stopCatching = catchTlsAlerts((alert) => refusal ??= alert);
  // the server that greeted first goes first; nats.js must not shuffle it back
  const attempt = connect({
    ...options,
    servers: probe.servers,
    noRandomize: true,
  });
  // real time: a network timeout, and no clock is injected before the manager connects
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("no answer within the connect timeout")),
      nats.connectTimeout,
    );
  });
  try {
    const nc = await Promise.race([attempt, timeout]);
    stopCatching();
    return { nc, tls, probe: probeAgain };
  } catch (err) {
    // nats.js may be dialling still, past the timeout: its alerts are caught until it stops
    attempt.then((late) => late.close(), () => {}).finally(stopCatching);
    if (refusal !== undefined) {
      throw new ConnectionError(
        configured,
        `Cannot connect to NATS at ${configured.join(", ")}: ` +
          describeTlsFailure(refusal, true, tls).message,
        { cause: refusal },
      );
    }
    throw fail(err instanceof Error ? err.message : String(err), err);
  } finally {
    clearTimeout(timer);
  }
}

type ConnectionOptions = Awaited<ReturnType<typeof connectionOptions>>;

/** The login fields nats.js would send, for the probe to try first. */
function loginFields(options: ConnectionOptions): Credentials {
  return (nonce) =>
    Object.assign(
      {},
      options.user === undefined ? {} : { user: options.user, pass: options.pass },
      options.token === undefined ? {} : { auth_token: options.token },
      ...(options.authenticator ?? []).map((authenticate) => authenticate(nonce)),
    );
}

async function connectionOptions(nats: NatsSettings) {
  const authenticator: Authenticator[] = [];
  if (nats.nkeySeed) {
    authenticator.push(nkeyAuthenticator(checkedSeed(nats.nkeySeed)));
  }
  if (nats.credsFile) {
    const creds = credsAuthenticator(await readCreds(nats.credsFile, [...nats.servers]));
    try {
      creds("naq"); // nats.js reads the file's JWT and seed only when it signs a login
    } catch (err) {
      throw new ConfigError(
        `Cannot use the NATS credentials file ${nats.credsFile} (nats.credsFile): ${
          err instanceof Error ? err.message : err
        }; it should hold the JWT and seed blocks that nsc writes (nsc generate creds)`,
        { cause: err },
      );
    }
    authenticator.push(creds);
  }
  return {
    servers: [...nats.servers],
    name: nats.name,
    user: nats.user,
    pass: nats.pass,
    token: nats.token,
    authenticator: authenticator.length > 0 ? authenticator : undefined,
    tls: nats.tls
      ? { caFile: nats.tls.ca, certFile: nats.tls.cert, keyFile: nats.tls.key }
      : undefined,
    timeout: nats.connectTimeout,
    reconnect: true,
    maxReconnectAttempts: nats.reconnect.maxAttempts,
    reconnectTimeWait: nats.reconnect.wait,
    reconnectJitter: nats.reconnect.jitter,
    waitOnFirstConnect: false,
    // async stack traces cost 3-5x on publish rate
    noAsyncTraces: true,
  };
}

/**
 * The seed as bytes, once nkeys could read it: a bad seed is a setting to fix, not a server
 * to look for.
 */
function checkedSeed(seed: string): Uint8Array {
  const bytes = new TextEncoder().encode(seed.trim());
  try {
    fromSeed(bytes);
  } catch (err) {
    throw new ConfigError(
      `Invalid nats.nkeySeed (NAQ_NATS_NKEY_SEED): it is not an nkey seed ` +
        `(${err instanceof Error ? err.message : err}). Give the whole seed, the line of ` +
        `58 characters starting with "SU" in the user's .nk file (not its public key, which ` +
        `starts with "U")`,
      { cause: err },
    );
  }
  return bytes;
}

async function readCreds(path: string, servers: string[]): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new ConnectionError(
      servers,
      `Cannot read the NATS credentials file ${path} (nats.credsFile): ${
        err instanceof Error ? err.message : err
      }`,
      { cause: err },
    );
  }
}
