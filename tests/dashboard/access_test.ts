import assert from "node:assert/strict";
import { checkExposure, isLoopback, refusal } from "../../src/dashboard/access.ts";
import { createConfig } from "../../src/config/mod.ts";
import { serveDashboard } from "../../src/dashboard/mod.ts";

Deno.test("isLoopback() knows the names and addresses only this machine reaches", () => {
  for (const host of ["localhost", "127.0.0.1", "127.8.0.3", "::1", "[::1]", "app.localhost"]) {
    assert.equal(isLoopback(host), true, host);
  }
  for (const host of ["0.0.0.0", "::", "192.168.1.4", "example.com", "localhost.example.com"]) {
    assert.equal(isLoopback(host), false, host);
  }
});

Deno.test("checkExposure() allows beyond localhost only with a token or read-only", () => {
  checkExposure("127.0.0.1", {});
  checkExposure("0.0.0.0", { token: "t" });
  checkExposure("0.0.0.0", { readOnly: true });
  assert.throws(
    () => checkExposure("0.0.0.0", {}),
    /^Error: Cannot serve the dashboard on 0\.0\.0\.0 without a token: .*dashboard\.token.*--read-only/,
  );
});

Deno.test("refusal() lets an action through only with the token, or from localhost without one", () => {
  assert.equal(refusal({ token: "secret" }, { host: "example.com", token: "secret" }), null);
  assert.match(refusal({ token: "secret" }, { host: "127.0.0.1" })!, /needs the dashboard's token/);
  assert.match(refusal({ token: "secret" }, { host: "x", token: "secreT" })!, /token/);
  assert.match(refusal({ token: "secret" }, { host: "x", token: "secret2" })!, /token/);
  assert.equal(refusal({}, { host: "127.0.0.1:8787" }), null);
  assert.equal(refusal({}, { host: "[::1]:8787" }), null);
  // a page elsewhere whose name now resolves to 127.0.0.1 still sends its own name
  assert.match(refusal({}, { host: "evil.example:8787" })!, /only on localhost/);
  // a client elsewhere may send any Host: where it came from decides
  assert.match(
    refusal({}, { host: "localhost", peer: "192.0.2.7" })!,
    /only from this machine, not from 192\.0\.2\.7/,
  );
  assert.equal(refusal({}, { host: "localhost", peer: "::ffff:127.0.0.1" }), null);
  assert.equal(refusal({ token: "t" }, { host: "x", peer: "192.0.2.7", token: "t" }), null);
  assert.match(refusal({ readOnly: true, token: "t" }, { host: "x", token: "t" })!, /read-only/);
});

Deno.test("serveDashboard() refuses 0.0.0.0 without a token before it connects or listens", async () => {
  // no server at this address: the refusal must come first
  const config = createConfig({ nats: { servers: ["nats://127.0.0.1:1"] } });
  await assert.rejects(
    () => serveDashboard({ config, host: "0.0.0.0", port: 0 }),
    /Cannot serve the dashboard on 0\.0\.0\.0 without a token/,
  );
});
