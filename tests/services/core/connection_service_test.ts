import assert from "node:assert/strict";
import { createUser } from "@nats-io/nkeys";
import { ConnectionError, isNaqError } from "../../../src/errors.ts";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { KVStoreService } from "../../../src/services/core/kv_store_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { StreamService } from "../../../src/services/core/stream_service.ts";
import { testConfig, untilConnections, waitFor, within } from "../../helpers/config.ts";
import { freePort, startNatsServer } from "../../helpers/nats_server.ts";

/**
 * A server that accepts one connection, writes `greeting` (nothing when omitted) and then says
 * nothing more; `peerClosed` settles once the client closed its socket.
 */
function hungServer(greeting?: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peerClosed = (async () => {
    const conn = await listener.accept();
    if (greeting) await conn.write(new TextEncoder().encode(greeting));
    const buffer = new Uint8Array(1024);
    while (await conn.read(buffer).catch(() => null) !== null) { /* read until EOF */ }
    conn.close();
  })();
  return {
    url: `nats://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    peerClosed,
    [Symbol.dispose]: () => listener.close(),
  };
}

Deno.test("1,000 operations through one ServiceManager use one connection, and none after", async () => {
  await using server = await startNatsServer();
  const services = new ServiceManager(testConfig(server.url));
  {
    await using _ = services;
    const writes = Array.from({ length: 1_000 }, async (_, i) => {
      const [connection, streams, kv] = await Promise.all([
        services.get(ConnectionService),
        services.get(StreamService),
        services.get(KVStoreService),
      ]);
      await streams.ensure({ name: "reuse", subjects: ["reuse.>"], retention: "limits" });
      if (i % 2 === 0) {
        await connection.jetstream().publish(`reuse.${i}`, `${i}`);
      } else {
        await (await kv.bucket<number>("reuse")).put(`k${i}`, i);
      }
    });
    await Promise.all(writes);
    await untilConnections(server, 1);
    const info = await (await services.get(StreamService)).info("reuse");
    assert.equal(info?.state.messages, 500);
  }
  await waitFor(
    "the server to see the connection close",
    async () => await server.connectionCount() === 0,
  );
  await services[Symbol.asyncDispose](); // a second dispose is a no-op: it does not throw
});

Deno.test("with the server down, the error names the URL and comes at once, not at the connect timeout", async () => {
  const url = `nats://127.0.0.1:${freePort()}`;
  // a timeout far longer than the test would wait: only the refusal can end the connect
  await using services = new ServiceManager(testConfig(url, { nats: { connectTimeout: "10m" } }));
  await assert.rejects(within("the connect to fail", services.get(ConnectionService)), (err) => {
    assert.ok(err instanceof ConnectionError);
    assert.ok(isNaqError(err, "CONNECTION"));
    assert.match(
      err.message,
      new RegExp(`^Cannot connect to NATS at ${url}: connection refused\\.`),
    );
    assert.match(err.message, /Check that nats-server is running there/);
    assert.deepEqual(err.servers, [url]);
    return true;
  });
});

Deno.test("a server that accepts and never answers times out, and the socket is closed", async () => {
  await using hung = hungServer();
  const { url } = hung;
  await using services = new ServiceManager(testConfig(url, { nats: { connectTimeout: "500ms" } }));
  await assert.rejects(
    within("the connect to time out", services.get(ConnectionService)),
    (err) => {
      assert.ok(err instanceof ConnectionError);
      // the server says nothing, so only the timeout can have ended the connect
      assert.match(
        err.message,
        new RegExp(`Cannot connect to NATS at ${url}: no greeting within the connect timeout`),
      );
      return true;
    },
  );
  // resolves only once the client closed its socket: nothing half-open
  await within("the client to close its socket", hung.peerClosed);
});

Deno.test("a refused login says so, names what to check, and leaves no connection", async () => {
  await using server = await startNatsServer({ extraConfig: `authorization { token: "right" }` });
  await using services = new ServiceManager(testConfig(server.url, { nats: { token: "wrong" } }));
  await assert.rejects(services.get(ConnectionService), (err) => {
    assert.ok(err instanceof ConnectionError);
    assert.equal(
      err.message,
      `Cannot connect to NATS at ${server.url}: the server refused the login ` +
        `(Authorization Violation). Check nats.user and nats.pass, nats.token, nats.nkeySeed ` +
        `or nats.credsFile (NAQ_NATS_USER, NAQ_NATS_PASS, …).`,
    );
    return true;
  });
  await untilConnections(server, 0);
});

Deno.test("user and password, token and nkey logins are accepted", async () => {
  const user = createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const logins = [
    {
      server: `authorization { user: "ada", password: "s3cret" }`,
      nats: { user: "ada", pass: "s3cret" },
    },
    { server: `authorization { token: "t0ken" }`, nats: { token: "t0ken" } },
    {
      server: `authorization { users: [{ nkey: "${user.getPublicKey()}" }] }`,
      nats: { nkeySeed: seed },
    },
  ];
  for (const login of logins) {
    await using server = await startNatsServer({ extraConfig: login.server });
    await using services = new ServiceManager(testConfig(server.url, { nats: login.nats }));
    await (await services.get(ConnectionService)).nc.flush(); // a round trip, logged in
    await untilConnections(server, 1);
  }
});

Deno.test("the connection survives a server restart and carries on", async () => {
  await using server = await startNatsServer();
  await using services = new ServiceManager(testConfig(server.url));
  const streams = await services.get(StreamService);
  await streams.ensure({ name: "restart", subjects: ["restart.>"], retention: "limits" });
  const js = (await services.get(ConnectionService)).jetstream();
  await js.publish("restart.a", "before");
  await server.kill();
  await server.restart();
  await waitFor("the client to reconnect", async () => await server.connectionCount() === 1);
  await js.publish("restart.a", "after");
  assert.equal((await streams.info("restart"))?.state.messages, 2);
});

Deno.test("with one of two configured servers down, it connects to the other", async () => {
  await using server = await startNatsServer();
  const down = `nats://127.0.0.1:${freePort()}`;
  await using services = new ServiceManager(testConfig([down, server.url]));
  await services.get(ConnectionService);
  await untilConnections(server, 1);
});

Deno.test("a server that offers TLS and never finishes the handshake times out as no answer, not as a refused certificate", async () => {
  // it greets, offering TLS, then says nothing more
  await using hung = hungServer(
    `INFO {"server_id":"hung","version":"2.10.0","tls_required":true}\r\n`,
  );
  const { url } = hung;
  await using services = new ServiceManager(testConfig(url, { nats: { connectTimeout: "500ms" } }));
  await assert.rejects(
    within("the connect to time out", services.get(ConnectionService)),
    (err) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(
        err.message,
        new RegExp(
          `Cannot connect to NATS at ${url}: no greeting within the connect timeout\\. Check ` +
            `that nats-server is running there`,
        ),
      );
      return true;
    },
  );
  await within("the client to close its socket", hung.peerClosed);
});
