import assert from "node:assert/strict";
import fc from "fast-check";
import { createConfig } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import { checkJobId } from "../../src/core/envelope.ts";
import {
  checkQueueName,
  isPrefix,
  MAX_PREFIX_LENGTH,
  MAX_QUEUE_NAME_LENGTH,
  NATS_MAX_NAME_LENGTH,
  PREFIX_RULE,
  QUEUE_NAME_RULE,
  queueNameProblem,
  wireNames,
} from "../../src/core/names.ts";

/** Every stream, consumer and subject of one (prefix, queue) pair, each with what it is for. */
function namesOf(prefix: string, queue: string): [name: string, owner: string][] {
  const names = wireNames(prefix);
  const buckets = [names.queuesBucket, names.schedulesBucket];
  return [
    // streams, KV buckets' own included: they share one namespace
    [`stream ${names.queueStream(queue)}`, `queue stream of ${prefix}/${queue}`],
    [`stream ${names.eventsStream}`, `events stream of ${prefix}`],
    [`stream ${names.deadStream}`, `dead stream of ${prefix}`],
    ...[...buckets, names.schedulerBucket, names.workersBucket].map((bucket): [string, string] => [
      `stream KV_${bucket}`,
      `bucket ${bucket.slice(prefix.length + 1)} of ${prefix}`,
    ]),
    [`consumer ${names.queueConsumer(queue)}`, `consumer of ${prefix}/${queue}`],
    ...names.queueSubjects(queue).map((subject): [string, string] => [
      `subject ${subject}`,
      `queue subjects of ${prefix}/${queue}`,
    ]),
    [`subject ${names.jobSubject(queue, "j", "run")}`, `job j of ${prefix}/${queue}`],
    [`subject ${names.deadSubject(queue)}`, `dead subject of ${prefix}/${queue}`],
    [`subject ${names.eventsSubject(queue)}`, `events of ${prefix}/${queue}`],
    [`subject ${names.cancelSubject(queue, "j")}`, `cancel of job j of ${prefix}/${queue}`],
    [`subject ${names.runningSubject(queue, "j")}`, `running job j of ${prefix}/${queue}`],
    // keys of one bucket: only the same prefix shares a bucket
    ...buckets.map((bucket): [string, string] => [
      `key ${bucket} ${names.queueKey(queue)}`,
      `key of ${prefix}/${queue}`,
    ]),
  ];
}

// candidates break the rule in every way it forbids: the rule (isPrefix) picks the valid ones
const PREFIX_CHARS = [..."abcKVXYZ019-_", "KV_", "_queue", "queue"];
const QUEUE_CHARS = [..."abqx-_", "queue", "workers", "events", "jobs", "KV", "_queue_"];

const anyPrefix = fc.oneof(
  fc.constantFrom("naq", "p", "p_queue", "KV", "KVx", "kv", "queue", "x".repeat(MAX_PREFIX_LENGTH)),
  fc.array(fc.constantFrom(...PREFIX_CHARS), { minLength: 1, maxLength: 8 })
    .map((chars) => chars.join("")),
).filter(isPrefix);

const anyQueue = fc.oneof(
  fc.constantFrom("x", "queue_x", "jobs", "events", "dead", "_", "-", "q".repeat(200)),
  fc.array(fc.constantFrom(...QUEUE_CHARS), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join("")),
);

Deno.test("two different (prefix, queue) pairs never share a stream, consumer, subject or key", () => {
  fc.assert(
    fc.property(anyPrefix, anyQueue, anyPrefix, anyQueue, (p1, q1, p2, q2) => {
      const owners = new Map<string, string>();
      for (const [name, owner] of [...namesOf(p1, q1), ...namesOf(p2, q2)]) {
        const seen = owners.get(name);
        assert.ok(seen === undefined || seen === owner, `${name}: both ${seen} and ${owner}`);
        owners.set(name, owner);
      }
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("the collision adversarial runs found cannot happen: a prefix with '_' is refused", () => {
  assert.equal(wireNames("p").queueStream("queue_x"), "p_queue_queue_x");
  assert.throws(() => wireNames("p_queue"), {
    name: "TypeError",
    message: `Cannot use "p_queue" as a prefix: use ${PREFIX_RULE}`,
  });
});

Deno.test("wireNames() refuses a prefix that is KV, too long, or has characters names cannot", () => {
  for (const bad of ["KV", "x".repeat(MAX_PREFIX_LENGTH + 1), "my.app", "", "a b", "a_b"]) {
    assert.throws(() => wireNames(bad), { name: "TypeError" }, JSON.stringify(bad));
  }
  assert.doesNotThrow(() => wireNames("x".repeat(MAX_PREFIX_LENGTH)));
  assert.doesNotThrow(() => wireNames("kv"));
});

Deno.test("a configured prefix is refused at load with the rule wireNames() states", () => {
  for (const bad of ["p_queue", "KV", "x".repeat(MAX_PREFIX_LENGTH + 1)]) {
    assert.throws(() => createConfig({ prefix: bad }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        `Invalid configuration:\n  prefix: expected a prefix of ${PREFIX_RULE}, got ` +
          JSON.stringify(bad),
      );
      return true;
    });
  }
  assert.equal(createConfig({}).prefix, "naq", "the default prefix keeps to the rule");
});

Deno.test("a queue name too long for NATS is refused, naming the limit", () => {
  const names = wireNames("naq");
  const long = "q".repeat(10_000);
  assert.throws(() => names.queueStream(long), {
    name: "TypeError",
    message: `Cannot use "${"q".repeat(40)}…" (10000 characters) as a queue name: ` +
      `it has 10000 characters, more than 214; use ${QUEUE_NAME_RULE}`,
  });
  assert.match(QUEUE_NAME_RULE, /^1 to 214 letters, .*NATS's limit of 255 characters/);
  assert.throws(() => names.queueConsumer("q".repeat(MAX_QUEUE_NAME_LENGTH + 1)), TypeError);
  assert.throws(
    () => createConfig({ queues: { ["q".repeat(MAX_QUEUE_NAME_LENGTH + 1)]: {} } }),
    new RegExp(
      `expected a queue name: it has 215 characters, more than 214; ` +
        `use ${RegExp.escape(QUEUE_NAME_RULE)}`,
    ),
  );
});

Deno.test("a queue name is refused saying what is wrong with it, as a job id is", () => {
  const problems: [string, string][] = [
    ["orders.eu", 'it contains "." (NATS subjects are split at it)'],
    ["my queue", "it contains a space"],
    ["jobs.*", 'it contains "." (NATS subjects are split at it), "*" (a NATS wildcard)'],
    [">", 'it contains ">" (a NATS wildcard)'],
    ["", "it is empty"],
    ["a=b", 'it contains "="'],
    ["q".repeat(215), "it has 215 characters, more than 214"],
  ];
  for (const [name, problem] of problems) {
    assert.equal(queueNameProblem(name), `${problem}; use ${QUEUE_NAME_RULE}`, name);
    assert.throws(() => checkQueueName(name), {
      name: "TypeError",
      message: new RegExp(`as a queue name: ${RegExp.escape(problem)}; use 1 to 214`),
    });
  }
  assert.equal(queueNameProblem("emails_eu-1"), undefined);
  // the job id rule is worded the same way
  assert.match(String(tryCheck(() => checkJobId("a b*"))), /: it contains a space, "\*" \(a NATS/);
});

function tryCheck(check: () => unknown): unknown {
  try {
    return check();
  } catch (err) {
    return (err as Error).message;
  }
}

Deno.test("with the longest prefix and queue name, every stream and consumer name fits NATS", () => {
  const prefix = "p".repeat(MAX_PREFIX_LENGTH);
  const queue = "q".repeat(MAX_QUEUE_NAME_LENGTH);
  const longest = Math.max(
    ...namesOf(prefix, queue)
      .map(([name]) => name)
      .filter((name) => name.startsWith("stream ") || name.startsWith("consumer "))
      .map((name) => name.slice(name.indexOf(" ") + 1).length),
  );
  assert.equal(longest, NATS_MAX_NAME_LENGTH, "the consumer's name is exactly as long as allowed");
});
