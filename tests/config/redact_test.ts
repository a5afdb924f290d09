import assert from "node:assert/strict";
import { createConfig, redactConfig } from "../../src/config/mod.ts";

Deno.test("redactConfig() hides pass, token and nkeySeed, and nothing else", () => {
  const config = createConfig({
    nats: { user: "app", pass: "hunter2", token: "t0ken", nkeySeed: "SUAB", credsFile: "/c.creds" },
  });
  const redacted = redactConfig(config);
  assert.equal(redacted.nats.pass, "<redacted>");
  assert.equal(redacted.nats.token, "<redacted>");
  assert.equal(redacted.nats.nkeySeed, "<redacted>");
  assert.equal(redacted.nats.user, "app");
  assert.equal(redacted.nats.credsFile, "/c.creds");
  assert.ok(!JSON.stringify(redacted).includes("hunter2"));
  assert.equal(config.nats.pass, "hunter2", "the original is untouched");
});

Deno.test("redactConfig() leaves unset secrets unset", () => {
  const redacted = redactConfig(createConfig());
  assert.ok(!("pass" in redacted.nats));
  assert.ok(Object.isFrozen(redacted) && Object.isFrozen(redacted.nats));
});
