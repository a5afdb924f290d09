import assert from "node:assert/strict";
import {
  checkJobId,
  encodeEnvelope,
  isJobId,
  type JobEnvelope,
  parseEnvelope,
} from "../../src/core/envelope.ts";

const envelope: JobEnvelope = {
  v: 1,
  id: "order-42",
  task: "send-email",
  payload: { to: "a@example.com", tags: ["x", 1, null], nested: { ok: true } },
  options: {
    attempts: 3,
    timeoutMs: 5_000,
    backoff: { type: "list", delay: 100, maxDelay: 60_000, jitter: 0.2, delays: [100, 500] },
  },
  nonce: "7d1c0c9e-1111-2222-3333-444455556666",
  enqueuedAt: 1_700_000_000_000,
};

const bytes = (text: string) => new TextEncoder().encode(text);

function reasonOf(body: Uint8Array): string {
  const parsed = parseEnvelope(body);
  assert.equal(parsed.ok, false, "expected the body to be rejected");
  return (parsed as { reason: string }).reason;
}

Deno.test("an encoded envelope parses back to the same envelope", () => {
  assert.deepEqual(parseEnvelope(encodeEnvelope(envelope)), { ok: true, envelope });
});

Deno.test("an envelope with a null payload and non-ASCII text round trips", () => {
  const other = { ...envelope, payload: { name: "Zoë — 東京 🚀" } };
  assert.deepEqual(parseEnvelope(encodeEnvelope(other)), { ok: true, envelope: other });
  const empty = { ...envelope, payload: null };
  assert.deepEqual(parseEnvelope(encodeEnvelope(empty)), { ok: true, envelope: empty });
});

Deno.test("parseEnvelope() rejects invalid JSON, saying it is not JSON", () => {
  assert.match(reasonOf(bytes("{not json")), /^the message is not JSON: /);
  assert.match(reasonOf(bytes("")), /^the message is not JSON: /);
});

Deno.test("parseEnvelope() rejects bytes that are not UTF-8, saying the message is not JSON", () => {
  assert.equal(
    reasonOf(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
    "the message is not JSON: its bytes are not valid UTF-8",
  );
});

Deno.test("parseEnvelope() rejects JSON that is not a job, naming the body", () => {
  assert.match(reasonOf(bytes('"hello"')), /^the message is not a naq job: \(body\): /);
  assert.match(reasonOf(bytes("[1,2]")), /^the message is not a naq job: \(body\): /);
});

Deno.test("parseEnvelope() names every missing or wrong field by its path", () => {
  const reason = reasonOf(bytes(JSON.stringify({ hello: "world" })));
  assert.match(reason, /^the message is not a naq job: /);
  for (const field of ["v", "id", "task", "options", "nonce", "enqueuedAt"]) {
    assert.match(reason, new RegExp(`(^|; |: )${field}: `), `${field} is not named in: ${reason}`);
  }
});

Deno.test("parseEnvelope() names a nested field with its dotted path", () => {
  const wrong = {
    ...envelope,
    options: { ...envelope.options, backoff: { ...envelope.options.backoff, type: "linear" } },
  };
  assert.match(reasonOf(bytes(JSON.stringify(wrong))), /options\.backoff\.type: /);
  const zero = { ...envelope, options: { ...envelope.options, attempts: 0 } };
  assert.match(reasonOf(bytes(JSON.stringify(zero))), /options\.attempts: /);
});

Deno.test("parseEnvelope() rejects an unknown version and an empty task", () => {
  assert.match(reasonOf(bytes(JSON.stringify({ ...envelope, v: 2 }))), /(^|; |: )v: /);
  assert.match(reasonOf(bytes(JSON.stringify({ ...envelope, task: "" }))), /(^|; |: )task: /);
});

Deno.test("isJobId() accepts letters, digits, '_', '-' and '=' up to 200 characters", () => {
  for (const id of ["a", "order-42", "A_b=c", "x".repeat(200), crypto.randomUUID()]) {
    assert.equal(isJobId(id), true, id);
  }
  for (const id of ["", "a.b", "a b", "a*", "a>", "ä", "x".repeat(201)]) {
    assert.equal(isJobId(id), false, id);
  }
});

Deno.test("checkJobId() returns a good id unchanged", () => {
  assert.equal(checkJobId("order-42"), "order-42");
});

Deno.test("checkJobId() throws a TypeError that quotes the id and says what is allowed", () => {
  assert.throws(() => checkJobId("orders.42"), {
    name: "TypeError",
    message: 'Cannot use "orders.42" as a job id: it contains "." (NATS subjects are split at ' +
      'it); use 1 to 200 letters, digits, "_", "-" or "=" (ids are part of NATS subjects)',
  });
  assert.throws(() => checkJobId(""), {
    name: "TypeError",
    message: /^Cannot use "" as a job id: it is empty; use 1 to 200/,
  });
  assert.throws(() => checkJobId("x".repeat(201)), {
    name: "TypeError",
    message: /: it has 201 characters, more than 200; use 1 to 200/,
  });
});
