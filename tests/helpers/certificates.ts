/**
 * Certificates for TLS tests, made by `openssl` in a temporary directory: a CA, a server
 * certificate and a client certificate it signed, and a stranger's self-signed certificate.
 *
 * @module
 */

/** Paths of PEM files; `dispose` removes them. */
export interface TestCertificates extends AsyncDisposable {
  readonly dir: string;
  /** The CA that signed `server` and `client`. */
  readonly ca: string;
  /** A server certificate for 127.0.0.1 and localhost, and its key. */
  readonly server: { cert: string; key: string };
  /** A client certificate the CA signed, and its key. */
  readonly client: { cert: string; key: string };
  /** A self-signed certificate no one trusts, and its key; also usable as a CA file. */
  readonly stranger: { cert: string; key: string };
}

async function openssl(dir: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, cwd: dir, stdin: "null" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("the TLS tests need openssl: apt-get install -y openssl", { cause: err });
    }
    throw err;
  }
  if (!output.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

/** Makes a fresh CA and the certificates of {@linkcode TestCertificates}. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "naq-certs-" });
  const days = ["-days", "2"];
  const newKey = ["-newkey", "rsa:2048", "-nodes"];
  const signedByCa = (name: string, extensions?: string) =>
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      ...days,
      ...(extensions ? ["-extfile", extensions] : []),
    ]);
  try {
    await openssl(dir, [
      "req",
      "-x509",
      ...newKey,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      ...days,
      "-subj",
      "/CN=naq test CA",
    ]);
    await Deno.writeTextFile(`${dir}/server.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    for (const [name, subject] of [["server", "/CN=localhost"], ["client", "/CN=naq client"]]) {
      await openssl(dir, [
        "req",
        ...newKey,
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        subject,
      ]);
      await signedByCa(name, name === "server" ? "server.ext" : undefined);
    }
    await openssl(dir, [
      "req",
      "-x509",
      ...newKey,
      "-keyout",
      "stranger.key",
      "-out",
      "stranger.pem",
      ...days,
      "-subj",
      "/CN=stranger",
    ]);
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  const pair = (name: string) => ({ cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` });
  return {
    dir,
    ca: `${dir}/ca.pem`,
    server: pair("server"),
    client: pair("client"),
    stranger: pair("stranger"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The nats-server configuration lines that require TLS with a client certificate `ca` signed. */
export function tlsVerifyConfig(certificates: TestCertificates): string {
  const { server, ca } = certificates;
  return `tls { cert_file: ${JSON.stringify(server.cert)}, key_file: ${
    JSON.stringify(server.key)
  }, ca_file: ${JSON.stringify(ca)}, verify: true }`;
}
