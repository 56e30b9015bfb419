// PIN lockout counters and the static-PIN pairing window as units.

import { assert, describe, test } from "../../harness.js";
import { LOCKOUT_THRESHOLD, PinLockout } from "../../../modules/pairing/lockout.js";
import { PairingWindow, WINDOW_LIFETIME_MS } from "../../../modules/pairing/window.js";
import { ManualClock } from "../../support/clock.js";

describe("PIN lockout", () => {
  test("per-method counters, lockout at 10, reset on success, clear", () => {
    const changes: string[] = [];
    const l = new PinLockout((m, on) => changes.push(`${m}:${on}`));
    for (let i = 0; i < LOCKOUT_THRESHOLD - 1; i++) l.recordFailure("static_pin");
    assert.ok(!l.isLockedOut("static_pin"));
    l.recordSuccess("static_pin");
    assert.equal(l.failureCount("static_pin"), 0);
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) l.recordFailure("static_pin");
    assert.ok(l.isLockedOut("static_pin"));
    assert.ok(!l.isLockedOut("dynamic_pin"));
    l.recordFailure("static_pin");
    assert.equal(l.failureCount("static_pin"), 10, "terminal: the counter stops");
    l.clear("dynamic_pin");
    l.clear("static_pin");
    assert.ok(!l.isLockedOut("static_pin"));
    assert.deepEqual(changes, ["static_pin:true", "static_pin:false"]);
  });
});

describe("pairing window", () => {
  test("opens once, expires after its lifetime, is consumed by one attempt", () => {
    const clock = new ManualClock();
    const seen: boolean[] = [];
    const w = new PairingWindow(clock, (o) => seen.push(o));
    assert.ok(w.open());
    assert.ok(!w.open(), "already open");
    clock.advanceMs(WINDOW_LIFETIME_MS - 1);
    assert.ok(w.isOpen);
    clock.advanceMs(1);
    assert.equal(w.state, "closed");
    assert.ok(w.open());
    assert.ok(w.consume());
    assert.ok(!w.consume(), "one attempt");
    clock.advanceMs(WINDOW_LIFETIME_MS * 2);
    assert.equal(w.state, "in_use", "lifetime ends at client/pair-init");
    w.close();
    w.close();
    assert.deepEqual(seen, [true, false, true, false]);
    assert.equal(clock.pendingTimers(), 0);
  });
});
