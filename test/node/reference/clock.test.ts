// The reference server's clock: offset, drift and steps as the clock-sync tests inject them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ServerClock } from "../../reference/clock.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("readings are integer µs, monotonic, offset by the injected amount", () => {
  const t0 = process.hrtime.bigint();
  const a = new ServerClock();
  const b = new ServerClock({ offsetUs: -2_000_000 });
  const ta = a.nowUs(), tb = b.nowUs();
  // Everything between the two constructions and the two readings is bounded by this span (a loaded
  // host may stretch it to milliseconds), plus 2 µs of rounding.
  const spanUs = Number(process.hrtime.bigint() - t0) / 1000;
  assert.ok(Number.isSafeInteger(ta) && Number.isSafeInteger(tb));
  assert.ok(Math.abs(ta - tb - 2_000_000) <= spanUs + 2, `offset off by ${ta - tb - 2_000_000} µs within ${spanUs} µs`);
  let last = a.nowUs();
  for (let i = 0; i < 1000; i++) {
    const t = a.nowUs();
    assert.ok(t >= last);
    last = t;
  }
});

test("drift: +20,000 ppm runs 2 % fast against the real clock; setDriftPpm and step are continuous / exact", async () => {
  const fast = new ServerClock({ driftPpm: 20_000 });
  const real = new ServerClock();
  const f0 = fast.nowUs(), r0 = real.nowUs();
  await sleep(200);
  const df = fast.nowUs() - f0, dr = real.nowUs() - r0;
  assert.ok(Math.abs(df / dr - 1.02) < 0.005, `ratio ${df / dr}`);
  const before = fast.nowUs();
  fast.setDriftPpm(0);
  assert.ok(Math.abs(fast.nowUs() - before) < 1_000, "no jump when the rate changes");
  const s0 = fast.nowUs();
  fast.step(1_000_000);
  assert.ok(Math.abs(fast.nowUs() - s0 - 1_000_000) < 1_000);
  assert.ok(Math.abs(fast.msUntil(fast.nowUs() + 50_000) - 50) < 1);
});
