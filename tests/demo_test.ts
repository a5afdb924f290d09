import assert from "node:assert/strict";

Deno.test("the demo shows jobs succeeding, a retry, a dead letter, a delay, a schedule and events, then exits 0", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}tools/demo.ts`],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const printed = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(printed, /event {2}retrying {2}charge-card #1 200/);
  assert.match(printed, /charge-card {3}ok \{"charged":true\}/);
  assert.match(printed, /send-fax {6}failed: .* failed for good: failed 2 of 2 attempts/);
  assert.match(
    printed,
    /counts per state: \{"delayed":0,"waiting":0,"active":0,"failed":0,"completed":7,"dead":1,"cancelled":0\}/,
  );
  assert.match(printed, /the reminder is delayed until /);
  assert.match(printed, /event {2}active {4}send-reminder #1/);
  assert.match(printed, /send-reminder ok "reminded ada"/);
  assert.match(printed, /the health check schedule fired twice; the last run says "healthy"/);
  assert.match(printed, /demo: done/);
});
