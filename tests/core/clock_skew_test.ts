import assert from "node:assert/strict";
import fc from "fast-check";
import { CLOCK_SKEW_LIMIT_MS, clockSkewMs, describeClockSkew } from "../../src/core/clock_skew.ts";

Deno.test("clockSkewMs() counts only how far the server's stamp falls outside the round trip", () => {
  assert.equal(clockSkewMs(1_000, 1_050, 1_020), 0);
  assert.equal(clockSkewMs(1_000, 9_000, 8_999), 0, "a slow answer is no disagreement");
  assert.equal(clockSkewMs(91_000, 91_010, 1_005), 89_995, "ahead");
  assert.equal(clockSkewMs(1_000, 1_010, 91_005), -89_995, "behind");
});

Deno.test("clockSkewMs() never says more than the clocks disagree by, whatever the latencies", () => {
  fc.assert(fc.property(
    fc.integer({ min: -200_000, max: 200_000 }), // how far the process is ahead
    fc.nat(10_000), // on the way to the server
    fc.nat(10_000), // on the way back
    (ahead, there, back) => {
      const sentAt = 1e12 + ahead;
      const storedAt = 1e12 + there; // by the server's clock
      const answeredAt = sentAt + there + back;
      const skew = clockSkewMs(sentAt, answeredAt, storedAt);
      assert.ok(Math.sign(skew) === Math.sign(ahead) || skew === 0, `${skew} for ${ahead}`);
      assert.ok(Math.abs(skew) <= Math.abs(ahead), `${skew} for ${ahead}`);
      // with quick round trips, it is the disagreement, give or take them
      assert.ok(Math.abs(skew - ahead) <= there + back, `${skew} for ${ahead}`);
    },
  ));
});

Deno.test("describeClockSkew() warns past the limit, saying which way and what it does", () => {
  assert.equal(describeClockSkew(CLOCK_SKEW_LIMIT_MS), undefined);
  assert.equal(describeClockSkew(-CLOCK_SKEW_LIMIT_MS), undefined);
  assert.equal(
    describeClockSkew(92_400),
    "this process's clock is 92 s ahead of nats-server's: delays and retries set here fire " +
      "up to 92 s late, schedules fired here up to 92 s early. Keep every host's clock in " +
      "sync (NTP: chrony or systemd-timesyncd)",
  );
  assert.match(
    describeClockSkew(-61_000)!,
    /61 s behind nats-server's: delays and retries set here fire up to 61 s early, schedules fired here up to 61 s late/,
  );
});
