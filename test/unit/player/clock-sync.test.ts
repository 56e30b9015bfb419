import { assert, describe, report, test } from "../../harness.js";
import { ClockSync, DEFAULT_CLOCK_SYNC_OPTIONS } from "../../../modules/player/clock-sync.js";
import { TimeFilter } from "../../../modules/player/time-filter.js";
import { ManualClock } from "../../support/clock.js";
import { SeededRandom } from "../../support/random.js";

const OFFSET = 3_000_000_000_000; // server clock − local clock

function rig() {
  const clock = new ManualClock(1_000_000);
  const filter = new TimeFilter();
  const probes: number[] = [];
  let converged = 0;
  const sync = new ClockSync(clock, filter, (t1) => probes.push(t1), () => converged++);
  return { clock, filter, probes, sync, converged: () => converged };
}

describe("clock sync", () => {
  test("sequential probes, eight per burst; the smallest round trip feeds the filter", () => {
    const r = rig();
    r.sync.start();
    const ups = [2500, 1500, 4000, 300, 2000, 3000, 3500, 1000];
    const downs = [2500, 1500, 4000, 900, 2000, 3000, 3500, 1000];
    for (let i = 0; i < 8; i++) {
      assert.equal(r.probes.length, i + 1, "one probe in flight at a time");
      const t1 = r.probes[i];
      r.clock.advanceUs(ups[i]);
      const t2 = r.clock.nowUs() + OFFSET;
      r.clock.advanceUs(downs[i]);
      r.sync.onServerTime(t1, t2, t2);
    }
    assert.equal(r.filter.count, 1);
    // Best: probe 3 (round trip 1200 µs), whose measurement is OFFSET + (300 − 900)/2.
    assert.equal(r.filter.offsetUs, OFFSET - 300);
    assert.equal(r.filter.errorUs(), 1200 / 2 / 2);
    assert.equal(r.sync.stats.bursts, 1);
    assert.deepEqual(r.sync.rttStats(), { minUs: 1200, maxUs: 8000, maxBestUs: 1200, bursts: 1 });
    assert.equal(r.probes.length, 8, "the next burst waits for its gap");
    r.clock.advanceMs(DEFAULT_CLOCK_SYNC_OPTIONS.convergingGapMs);
    assert.equal(r.probes.length, 9);
  });

  test("a lost reply times out; a late or foreign reply is ignored; inconsistent timestamps are discarded", () => {
    const r = rig();
    r.sync.start();
    const t1 = r.probes[0];
    r.clock.advanceMs(DEFAULT_CLOCK_SYNC_OPTIONS.probeTimeoutMs);
    assert.equal(r.sync.stats.timeouts, 1);
    assert.equal(r.probes.length, 2, "the next probe went out");
    r.sync.onServerTime(t1, t1 + OFFSET, t1 + OFFSET); // the late reply to the first probe
    assert.equal(r.sync.stats.ignored, 1);
    assert.equal(r.probes.length, 2, "a late reply does not advance the burst");
    const t1b = r.probes[1];
    r.clock.advanceUs(1000);
    r.sync.onServerTime(t1b, t1b + OFFSET + 600, t1b + OFFSET + 400); // server "transmitted" before it received
    assert.equal(r.sync.stats.ignored, 2);
    assert.equal(r.sync.stats.replies, 0);
    assert.equal(r.probes.length, 3, "the burst goes on");
    r.sync.onServerTime(12345, 1, 2); // never sent
    assert.equal(r.sync.stats.ignored, 3);
  });

  test("converges under ±100 ppm and jitter, then spaces bursts out by the filter's covariance; stop() leaves no timer", () => {
    for (const [ppm, jitter] of [[100, 2000], [-100, 2000], [100, 20_000]]) {
      const r = rig();
      const rng = new SeededRandom(ppm + jitter);
      // A server answering over a jittery link; the local clock runs `ppm` fast.
      const serverNow = () => OFFSET + r.clock.nowUs() / (1 + ppm * 1e-6);
      const origProbe = r.probes.push.bind(r.probes);
      r.probes.push = (t1: number) => {
        const up = 300 + rng.below(jitter + 1), down = 300 + rng.below(jitter + 1);
        r.clock.setTimeout(() => {
          const t2 = Math.round(serverNow());
          r.clock.setTimeout(() => r.sync.onServerTime(t1, t2, t2 + 20), (20 + down) / 1000);
        }, up / 1000);
        return origProbe(t1);
      };
      r.sync.start();
      let convergedAt = NaN;
      const burstTimes: number[] = [];
      let bursts = 0;
      for (let ms = 0; ms < 120_000; ms += 10) {
        r.clock.advanceMs(10);
        if (r.sync.stats.bursts !== bursts) {
          bursts = r.sync.stats.bursts;
          burstTimes.push(r.clock.nowUs());
        }
        if (r.converged() && Number.isNaN(convergedAt)) convergedAt = r.clock.nowUs();
      }
      assert.equal(r.converged(), 1, "converged exactly once");
      assert.ok(r.sync.synchronized);
      const gaps = burstTimes.slice(-5).map((t, i, a) => (i ? t - a[i - 1] : 0)).slice(1);
      const minGap = Math.min(...gaps);
      assert.ok(minGap >= DEFAULT_CLOCK_SYNC_OPTIONS.minIntervalMs * 1000, `steady bursts ${minGap} µs apart`);
      // Against the true server clock, the converged filter predicts within a fraction of the jitter.
      const c = r.clock.nowUs();
      const err = Math.abs(r.filter.toServer(c) - serverNow());
      assert.ok(err < Math.max(500, jitter / 10), `${ppm} ppm, jitter ${jitter}: prediction off by ${err.toFixed(0)} µs`);
      r.sync.stop();
      r.clock.advanceMs(100); // replies still on the wire arrive and are ignored
      assert.equal(r.clock.pendingTimers(), 0, "stop() left a timer");
      report(`clock sync ${ppm} ppm, jitter 0–${jitter / 1000} ms: synchronized after ${((convergedAt - 1e6) / 1e6).toFixed(2)} s, ${r.sync.stats.bursts} bursts in 120 s, last gap ${(gaps[gaps.length - 1] / 1e6).toFixed(1)} s, |error| ${err.toFixed(0)} µs`);
    }
  });
});

