import assert from "node:assert/strict";
import { Slots } from "../../src/core/slots.ts";
import { nextTurn, within } from "../helpers/config.ts";

Deno.test("Slots takes at most what is free and gives it back on release", () => {
  const slots = new Slots(3);
  assert.equal(slots.free, 3);
  assert.equal(slots.take(2), 2);
  assert.equal(slots.free, 1);
  assert.equal(slots.take(5), 1);
  assert.equal(slots.take(1), 0);
  assert.equal(slots.free, 0);
  slots.release(2);
  assert.equal(slots.free, 2);
  slots.release();
  assert.equal(slots.free, 3);
});

Deno.test("Slots ignores take() and release() of zero or negative counts", () => {
  const slots = new Slots(2);
  assert.equal(slots.take(0), 0);
  assert.equal(slots.take(-3), 0);
  slots.release(0);
  slots.release(-1);
  assert.equal(slots.free, 2);
});

Deno.test("Slots rejects a capacity that is not a positive integer, showing the value", () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new Slots(capacity), {
      name: "RangeError",
      message: new RegExp(
        `Cannot create slots as 'capacity' must be a positive integer: current value is ${capacity}`,
      ),
    });
  }
});

Deno.test("whenFree() resolves at once while a slot is free", async () => {
  const slots = new Slots(1);
  await slots.whenFree();
  assert.equal(slots.free, 1, "waiting takes no slot");
});

Deno.test("whenFree() waits until a slot is released", async () => {
  const slots = new Slots(1);
  slots.take(1);
  let woke = false;
  const waiting = slots.whenFree().then(() => woke = true);
  // every callback queued so far has run: Slots has no timers, so a waiter it woke without
  // a release would have woken by now
  await nextTurn();
  assert.equal(woke, false);
  slots.release();
  await waiting;
  assert.equal(woke, true);
});

Deno.test("release() wakes every waiter", async () => {
  const slots = new Slots(2);
  slots.take(2);
  const waiters = [slots.whenFree(), slots.whenFree(), slots.whenFree()];
  slots.release();
  await within("every waiter to wake", Promise.all(waiters));
});

Deno.test("whenFree() resolves when its signal aborts, and at once if already aborted", async () => {
  const slots = new Slots(1);
  slots.take(1);
  const controller = new AbortController();
  const waiting = slots.whenFree(controller.signal);
  controller.abort();
  await waiting;
  await slots.whenFree(controller.signal);
  assert.equal(slots.free, 0);
});

Deno.test("after a waiter aborts, release() still wakes the others", async () => {
  const slots = new Slots(1);
  slots.take(1);
  const controller = new AbortController();
  const aborted = slots.whenFree(controller.signal);
  const other = slots.whenFree();
  controller.abort();
  await aborted;
  slots.release();
  await other;
  assert.equal(slots.free, 1);
});
