/**
 * The TLS half of the connect probe: reads the `nats.tls` files, upgrades a probe's connection
 * the way nats.js would (STARTTLS after the server's INFO), and says in plain words why a
 * handshake failed.
 *
 * Why a probe of our own: `@nats-io/transport-node` 3.4.0 learns that the server refused its
 * client certificate only after its own handshake has completed (TLS 1.3 sends that refusal
 * after the client's last message). It then waits out the whole connect timeout, and the
 * refusal can reach the TLS socket in the moment its listeners are swapped, as an uncaught
 * error that ends the process. Here the socket is ours and listened to from the start.
 *
 * @module
 */
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { Duplex } from "node:stream";
import { isIP } from "node:net";
import type { TlsSettings } from "../../config/mod.ts";
import { ConnectionError } from "../../errors.ts";

/** A PEM file of `nats.tls`, as read at connect. */
interface PemFile {
  readonly path: string;
  readonly pem: string;
}

/** The contents of the `nats.tls` files; `configured` is false when `nats.tls` is unset. */
export interface TlsMaterial {
  readonly configured: boolean;
  readonly ca?: PemFile;
  readonly cert?: PemFile;
  readonly key?: PemFile;
}

/** Raised by the probe when TLS failed: the message says what to change, not to check the server runs. */
export class TlsRefusedError extends Error {
  /** @param message the whole reason, with what to change */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsRefusedError";
  }
}

const SETTINGS = {
  ca: "nats.tls.ca (NAQ_NATS_TLS_CA)",
  cert: "nats.tls.cert (NAQ_NATS_TLS_CERT)",
  key: "nats.tls.key (NAQ_NATS_TLS_KEY)",
} as const;

/**
 * Reads the files `tls` names.
 *
 * @throws {ConnectionError} naming the file and its setting, when one cannot be read, or
 *   when only one of `cert` and `key` is set
 */
export async function readTlsFiles(
  tls: TlsSettings | undefined,
  servers: readonly string[],
): Promise<TlsMaterial> {
  if (!tls) return { configured: false };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const [set, unset] = tls.cert === undefined
      ? ["key", "cert"] as const
      : ["cert", "key"] as const;
    throw new ConnectionError(
      [...servers],
      `Cannot use the TLS client certificate: ${SETTINGS[set]} is set and ${SETTINGS[unset]} ` +
        `is not; a client certificate needs both its certificate and its private key`,
    );
  }
  const read = async (which: keyof typeof SETTINGS): Promise<PemFile | undefined> => {
    const path = tls[which];
    if (path === undefined) return undefined;
    try {
      return { path, pem: await Deno.readTextFile(path) };
    } catch (err) {
      throw new ConnectionError(
        [...servers],
        `Cannot read ${SETTINGS[which]}, the TLS file ${path}: ${
          err instanceof Error ? err.message : err
        }`,
        { cause: err },
      );
    }
  };
  return {
    configured: true,
    ca: await read("ca"),
    cert: await read("cert"),
    key: await read("key"),
  };
}

/** Lines in and bytes out over the TLS session of a probe. */
export interface TlsSession {
  /**
   * The next chunk the server sent; null once it closed. Rejects with a
   * {@linkcode TlsRefusedError} when the server refused the session.
   */
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

/**
 * Upgrades `conn`, on which the server's INFO was read and nothing else, to TLS with the
 * `nats.tls` files, and waits for the handshake.
 *
 * @throws {TlsRefusedError} saying which certificate was not accepted and what to set
 */
export async function upgradeToTls(
  conn: Deno.Conn,
  hostname: string,
  tls: TlsMaterial,
): Promise<TlsSession> {
  let socket: TLSSocket;
  try {
    socket = tlsConnect({
      socket: Duplex.fromWeb({ readable: conn.readable, writable: conn.writable }),
      host: hostname,
      // node refuses an IP address as a server name; the certificate is still checked for it
      servername: isIP(hostname) ? undefined : hostname,
      ca: tls.ca ? [tls.ca.pem] : undefined,
      cert: tls.cert?.pem,
      key: tls.key?.pem,
      rejectUnauthorized: true,
    });
  } catch (err) {
    // a malformed PEM, or a key that is not the certificate's, fails before any byte is sent
    conn.close();
    throw new TlsRefusedError(
      `the TLS files ${
        [tls.ca, tls.cert, tls.key].filter((file) => file).map((file) => file!.path).join(", ")
      } cannot be used (${messageOf(err)}): set ${SETTINGS.ca}, ${SETTINGS.cert} and ` +
        `${SETTINGS.key} to PEM files, the key being the certificate's own`,
      { cause: err },
    );
  }
  let secured = false;
  let failure: TlsRefusedError | undefined;
  // listened to from the first moment: a refusal is never an uncaught error
  socket.on("error", (err) => failure ??= describeTlsFailure(err, secured, tls));
  const close = () => socket.destroy();
  let onClose: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      // a socket's 'error' comes before its 'close'
      onClose = () => reject(failure ?? new Error("the server closed the connection"));
      socket.once("close", onClose);
    });
  } catch (err) {
    close();
    throw err;
  } finally {
    socket.off("close", onClose!);
  }
  secured = true;
  const chunks = socket[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    read: async () => {
      const chunk = await chunks.next().catch((err) => {
        throw failure ?? err;
      });
      return chunk.done ? null : chunk.value;
    },
    write: (data) =>
      new Promise<void>((resolve, reject) =>
        socket.write(data, (err) => err ? reject(failure ?? err) : resolve())
      ),
    close,
  };
}

/**
 * Why a TLS handshake or session failed, in terms of the `nats.tls` settings.
 *
 * @param err the socket's error
 * @param secured true when the handshake had completed: the server's certificate was trusted
 * @param tls the files offered
 */
export function describeTlsFailure(
  err: unknown,
  secured: boolean,
  tls: TlsMaterial,
): TlsRefusedError {
  const code = (err as { code?: unknown }).code;
  const why = messageOf(err);
  const toFix = `use a certificate signed by a CA the server trusts (the ca_file of its tls block)`;
  if (
    code === "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" || (!tls.cert && /ALERT/.test(`${code}`))
  ) {
    return new TlsRefusedError(
      `the server requires a TLS client certificate, and none was sent (${why}): set ` +
        `${SETTINGS.cert} and ${SETTINGS.key} to your certificate and its key, and ${toFix}`,
      { cause: err },
    );
  }
  if (typeof code === "string" && code.startsWith("ERR_SSL_") && /ALERT/.test(code)) {
    return new TlsRefusedError(
      `the server refused the TLS client certificate ${tls.cert?.path} (${why}): ${toFix}, ` +
        `not expired, with ${SETTINGS.key} (now ${tls.key?.path}) its own private key`,
      { cause: err },
    );
  }
  if (!secured) {
    return new TlsRefusedError(
      `the server's TLS certificate is not trusted (${why}): set ${SETTINGS.ca} to the CA ` +
        `certificate that signed it${tls.ca ? ` (now ${tls.ca.path})` : ""}, and connect by ` +
        `a host name or address that certificate names`,
      { cause: err },
    );
  }
  return new TlsRefusedError(`the TLS session failed (${why})`, { cause: err });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
