import assert from "node:assert/strict";
import { createUser } from "@nats-io/nkeys";
import type { ConfigInput } from "../../../src/config/mod.ts";
import { ConfigError, ConnectionError } from "../../../src/errors.ts";
import {
  ConnectionService,
  RECONNECT_PATIENCE_MS,
} from "../../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { makeCertificates, tlsVerifyConfig } from "../../helpers/certificates.ts";
import { testConfig, untilConnections, waitFor, within } from "../../helpers/config.ts";
import { ManualClock } from "../../helpers/manual_clock.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

type TlsInput = NonNullable<NonNullable<ConfigInput["nats"]>["tls"]>;

/**
 * Records what would otherwise end the process: an uncaught error (an 'error' event with no
 * listener on a socket is one) or an unhandled rejection.
 */
function watchUncaught(): { readonly errors: unknown[] } & Disposable {
  const errors: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    errors.push(event.error);
    event.preventDefault();
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    errors.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return {
    errors,
    [Symbol.dispose]() {
      globalThis.removeEventListener("error", onError);
      globalThis.removeEventListener("unhandledrejection", onRejection);
    },
  };
}

/**
 * Connects, and returns the error. It must come from naq's probe, in milliseconds: the connect
 * timeout is long, so that a failure that waits it out ("no answer within the connect
 * timeout") fails the test, yet short of the test's own 30 s bound.
 */
async function connectError(url: string, nats: ConfigInput["nats"]): Promise<unknown> {
  await using services = new ServiceManager(
    testConfig(url, { nats: { connectTimeout: "20s", ...nats } }),
  );
  try {
    await within("the connect to fail", services.get(ConnectionService));
  } catch (err) {
    return err;
  }
  assert.fail("the connect succeeded");
}

function assertConnectionError(err: unknown, url: string, message: RegExp): void {
  assert.ok(err instanceof ConnectionError, `a ConnectionError, not ${err}`);
  assert.deepEqual(err.servers, [url]);
  assert.match(err.message, message);
  assert.doesNotMatch(err.message, /running|connect timeout/);
}

Deno.test("a server that requires a client certificate: the CA's is taken, none and a stranger's are ConnectionErrors that say so, and nothing is uncaught", async (t) => {
  await using certificates = await makeCertificates();
  await using server = await startNatsServer({ extraConfig: tlsVerifyConfig(certificates) });
  using uncaught = watchUncaught();
  const { ca, client, stranger } = certificates;

  await t.step("a certificate the server's CA signed connects", async () => {
    await using services = new ServiceManager(
      testConfig(server.url, { nats: { tls: { ca, ...client } } }),
    );
    await (await services.get(ConnectionService)).flush(); // a round trip, over TLS
    await untilConnections(server, 1);
  });
  await untilConnections(server, 0);

  await t.step("no certificate: the server requires one", async () => {
    assertConnectionError(
      await connectError(server.url, { tls: { ca } }),
      server.url,
      new RegExp(
        `^Cannot connect to NATS at ${server.url}: the server requires a TLS client ` +
          `certificate, and none was sent \\(.*\\): set nats.tls.cert \\(NAQ_NATS_TLS_CERT\\) ` +
          `and nats.tls.key \\(NAQ_NATS_TLS_KEY\\)`,
      ),
    );
  });

  await t.step("a certificate another CA signed: the server refused it", async () => {
    assertConnectionError(
      await connectError(server.url, { tls: { ca, ...stranger } }),
      server.url,
      new RegExp(
        `^Cannot connect to NATS at ${server.url}: the server refused the TLS client ` +
          `certificate ${stranger.cert} \\(.*\\): use a certificate signed by a CA the server ` +
          `trusts`,
      ),
    );
  });

  await t.step("a server certificate the client's CA did not sign: not trusted", async () => {
    assertConnectionError(
      await connectError(server.url, { tls: { ca: stranger.cert, ...client } }),
      server.url,
      new RegExp(
        `^Cannot connect to NATS at ${server.url}: the server's TLS certificate is not ` +
          `trusted \\(.*\\): set nats.tls.ca \\(NAQ_NATS_TLS_CA\\) to the CA certificate that ` +
          `signed it \\(now ${stranger.cert}\\)`,
      ),
    );
  });

  // every refused connection is closed: any late error of theirs would have come by now
  await untilConnections(server, 0);
  assert.deepEqual(uncaught.errors, []);
});

Deno.test("a TLS file that cannot be read, or a certificate without its key, is named before any connect", async () => {
  await using certificates = await makeCertificates();
  const url = "nats://127.0.0.1:1"; // never dialled: the files are read first
  const missing = `${certificates.dir}/missing.pem`;
  const cases: { tls: TlsInput; message: RegExp }[] = [
    {
      tls: { ca: certificates.ca, cert: missing, key: certificates.client.key },
      message: new RegExp(
        `^Cannot read nats.tls.cert \\(NAQ_NATS_TLS_CERT\\), the TLS file ${missing}: `,
      ),
    },
    {
      tls: { ca: missing },
      message: new RegExp(
        `^Cannot read nats.tls.ca \\(NAQ_NATS_TLS_CA\\), the TLS file ${missing}`,
      ),
    },
    {
      tls: { cert: certificates.client.cert },
      message: /nats.tls.cert \(NAQ_NATS_TLS_CERT\) is set and nats.tls.key .* is not/,
    },
  ];
  for (const { tls, message } of cases) {
    assertConnectionError(await connectError(url, { tls }), url, message);
  }
});

Deno.test("nkey logins over TLS: the right seed connects, another is refused, a bad seed or creds file is a ConfigError", async () => {
  await using certificates = await makeCertificates();
  const user = createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  await using server = await startNatsServer({
    extraConfig: `${tlsVerifyConfig(certificates)}\n` +
      `authorization { users: [{ nkey: "${user.getPublicKey()}" }] }`,
  });
  const tls = { ca: certificates.ca, ...certificates.client };
  {
    await using services = new ServiceManager(
      testConfig(server.url, { nats: { tls, nkeySeed: seed } }),
    );
    await (await services.get(ConnectionService)).flush();
  }

  const other = new TextDecoder().decode(createUser().getSeed());
  assertConnectionError(
    await connectError(server.url, { tls, nkeySeed: other }),
    server.url,
    /the server refused the login \(Authorization Violation\)\. Check .*nats\.nkeySeed/,
  );

  for (const bad of ["SUnot-a-seed", user.getPublicKey()]) {
    const err = await connectError(server.url, { tls, nkeySeed: bad });
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${err}`);
    assert.match(
      err.message,
      /^Invalid nats\.nkeySeed \(NAQ_NATS_NKEY_SEED\): it is not an nkey seed \(nkeys: .*\)/,
    );
    assert.doesNotMatch(err.message, /running/);
  }
  const creds = `${certificates.dir}/not.creds`;
  await Deno.writeTextFile(creds, "not a creds file\n");
  const err = await connectError(server.url, { tls, credsFile: creds });
  assert.ok(err instanceof ConfigError, `a ConfigError, not ${err}`);
  assert.match(
    err.message,
    new RegExp(`^Cannot use the NATS credentials file ${creds} \\(nats.credsFile\\): `),
  );
  await untilConnections(server, 0);
});

Deno.test("when the server stops trusting the client certificate, reconnects do not end the process, and reaching() says why", async () => {
  await using certificates = await makeCertificates();
  const { ca, client, stranger } = certificates;
  // the server's own copy of its CA file, to swap for one that does not sign the client's
  const serverCa = `${certificates.dir}/server-ca.pem`;
  await Deno.copyFile(ca, serverCa);
  await using server = await startNatsServer({
    extraConfig: tlsVerifyConfig({ ...certificates, ca: serverCa }),
  });
  // no watchUncaught() here: it would see each alert before naq's own listener takes it. An
  // uncaught error still fails this test: the test runner reports it as this test's failure
  const clock = new ManualClock();
  await using services = new ServiceManager(
    testConfig(server.url, {
      nats: { tls: { ca, ...client }, reconnect: { wait: "50ms" } },
    }),
    { clock },
  );
  const connection = await services.get(ConnectionService);
  await connection.flush();
  let dials = 0;
  void (async () => {
    for await (const status of connection.nc.status()) if (status.type === "reconnecting") dials++;
  })();

  await Deno.copyFile(stranger.cert, serverCa);
  await server.restart();
  // each dial (which nats.js times out after connectTimeout, 2 s) has about an even chance of
  // an alert that nats.js leaves without a listener: without naq's guard, 6 dials end the
  // test with an uncaught error 98% of the time
  await waitFor("6 refused reconnects", () => dials >= 6, 60_000);
  assert.equal(connection.connected, false);

  // reaching() starts its wait on the clock at once, before any I/O
  const attempt = connection.reaching("publish x", () => Promise.resolve());
  clock.advance(RECONNECT_PATIENCE_MS);
  await assert.rejects(attempt, (err) => {
    assert.ok(err instanceof ConnectionError);
    assert.match(
      err.message,
      new RegExp(
        `^Cannot publish x: NATS at ${server.url} could not be reached; .* The server now ` +
          `answers, and refuses: the server refused the TLS client certificate ${client.cert}`,
      ),
    );
    assert.doesNotMatch(err.message, /running/);
    return true;
  });
});

Deno.test("one configured server refusing the TLS settings does not keep naq from another that takes them", async () => {
  await using certificates = await makeCertificates();
  await using plain = await startNatsServer();
  await using secured = await startNatsServer({ extraConfig: tlsVerifyConfig(certificates) });
  const { ca, client } = certificates;
  // the plain server refuses at once (no TLS offered); the TLS one is slower to accept
  await using services = new ServiceManager(
    testConfig([plain.url, secured.url], { nats: { tls: { ca, ...client } } }),
  );
  const connection = await within("the connect", services.get(ConnectionService));
  await connection.flush();
  await untilConnections(secured, 1);
});
