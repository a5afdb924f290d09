import { connect } from "@nats-io/transport-node";
import {
  type Authenticator,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from "@nats-io/nats-core";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NaqConfig } from "../config/mod.ts";
import { ConnectionError } from "../errors.ts";
import { isSupportedServerVersion, MIN_NATS_SERVER_VERSION } from "../core/server_version.ts";
import { type Credentials, probeServers } from "./server_probe.ts";
import type { ServiceManager } from "./service_manager.ts";

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
  #js?: JetStreamClient;
  #jsm?: Promise<JetStreamManager>;
  #disposed?: Promise<void>;
  readonly #reconnectListeners = new Set<() => void>();

  private constructor(nc: NatsConnection) {
    this.nc = nc;
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

  async #followStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== "reconnect") continue;
      for (const listener of [...this.#reconnectListeners]) listener();
    }
  }

  /**
   * Connects with the manager's `nats` configuration.
   *
   * @throws {ConnectionError} naming the server URLs, within `nats.connectTimeout`; or when
   *   the server is older than naq supports
   */
  static async create(services: ServiceManager): Promise<ConnectionService> {
    const nc = await connectWithin(services.config.nats);
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
    return new ConnectionService(nc);
  }

  /** True once the connection is closed for good (disposed, or out of reconnect attempts). */
  get closed(): boolean {
    return this.nc.isClosed();
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

  /** The version of the server this connection is on, such as `"2.9.10"`. */
  get serverVersion(): string {
    return this.nc.info?.version ?? "0.0.0";
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
    this.#jsm ??= jetstreamManager(this.nc).catch((err) => {
      this.#jsm = undefined;
      throw err;
    });
    return this.#jsm;
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
 * Connects, giving up after `connectTimeout` even when a server accepts TCP and then says
 * nothing. A connection that completes after giving up is closed, not leaked.
 */
async function connectWithin(nats: NatsSettings): Promise<NatsConnection> {
  const configured = [...nats.servers];
  const fail = (reason: string, cause?: unknown) =>
    new ConnectionError(
      configured,
      `Cannot connect to NATS at ${configured.join(", ")}: ${reason}. ` +
        `Check that nats-server is running there, or set nats.servers (NAQ_NATS_SERVERS).`,
      { cause },
    );
  const options = await connectionOptions(nats);
  const probe = await probeServers(configured, nats.connectTimeout, loginFields(options));
  if (probe.loginRefused) {
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
    return await Promise.race([attempt, timeout]);
  } catch (err) {
    attempt.then((late) => late.close(), () => {});
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
    authenticator.push(nkeyAuthenticator(new TextEncoder().encode(nats.nkeySeed)));
  }
  if (nats.credsFile) {
    authenticator.push(credsAuthenticator(await readCreds(nats.credsFile, [...nats.servers])));
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
