// The pre-authentication ration: work is measured on the clock and taken from a global and a per-address
// bucket; an empty bucket refuses work without running it; refills follow the configured share.

import { assert, describe, test } from "../../harness.js";
import { PreAuthBudget } from "../../../modules/session/preauth-budget.js";
import { ManualClock } from "../../support/clock.js";

/** Work that takes `ms` of the clock's time, as a Noise message 1 takes real time on the chip. */
function work(clock: ManualClock, ms: number, ran: string[], tag: string): () => void {
  return () => {
    ran.push(tag);
    clock.advanceMs(ms);
  };
}

describe("pre-authentication budget", () => {
  test("one address gets a quarter of the share; the debt of a long piece of work is repaid first", () => {
    const clock = new ManualClock();
    const b = new PreAuthBudget({ clock, sharePercent: 10, burstUs: 1_000_000 });
    const ran: string[] = [];
    // per address: 250 ms burst, 2.5 % of wall time. A 450 ms piece (a chip's message 1) runs on credit...
    assert.ok(b.run("10.0.0.2", work(clock, 450, ran, "a1")));
    // ...and leaves a debt of 200 ms less what its own 450 ms earned (11.25 ms): 7.55 s more at 2.5 %
    assert.ok(!b.run("10.0.0.2", work(clock, 450, ran, "a2")));
    clock.advanceMs(7_500);
    assert.ok(!b.run("10.0.0.2", work(clock, 450, ran, "a3")), "still in debt after 7.5 s");
    clock.advanceMs(100);
    assert.ok(b.run("10.0.0.2", work(clock, 450, ran, "a4")), "repaid after 7.6 s");
    assert.deepEqual(ran, ["a1", "a4"]);
    assert.deepEqual(b.stats, { runs: 2, refused: 2, workUs: 900_000 });
  });

  test("many addresses share the global bucket: the share holds however many there are", () => {
    const clock = new ManualClock();
    const b = new PreAuthBudget({ clock, sharePercent: 10, burstUs: 1_000_000 });
    const ran: string[] = [];
    // a flood from 200 addresses, one 5 ms attempt each every 10 ms, for 20 s
    let n = 0;
    for (let t = 0; t < 2000; t++) {
      b.run(`10.0.${t % 200}.1`, work(clock, 5, ran, "x"));
      clock.advanceMs(10 - (ran.length > n ? 5 : 0));
      n = ran.length;
    }
    const wallMs = 20_000;
    const workMs = b.stats.workUs / 1000;
    // the burst (1 s) plus 10 % of 20 s, to within one piece
    assert.ok(workMs <= 1000 + wallMs * 0.1 + 5, `work ${workMs} ms in ${wallMs} ms`);
    assert.ok(workMs >= wallMs * 0.1 - 5, `the share is used, not starved: ${workMs} ms`);
  });

  test("a fresh address gets in while another floods; a nested run is measured once", () => {
    const clock = new ManualClock();
    const b = new PreAuthBudget({ clock, sharePercent: 10, burstUs: 1_000_000 });
    const ran: string[] = [];
    for (let i = 0; i < 100; i++) {
      b.run("10.0.0.66", work(clock, 5, ran, "flood"));
      clock.advanceMs(1);
    }
    assert.ok(ran.length < 60, `the flooding address is held to its quarter: ${ran.length} of 100`);
    assert.ok(b.run("10.0.0.7", work(clock, 5, ran, "fresh")), "a fresh address still has the global share");
    const before = b.stats.workUs;
    assert.ok(b.run("10.0.0.8", () => void b.run("10.0.0.8", work(clock, 3, ran, "inner"))));
    assert.equal(b.stats.workUs - before, 3000, "the outer run measured the inner work, once");
  });
});
