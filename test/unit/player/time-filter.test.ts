import { assert, describe, report, test } from "../../harness.js";
import { TimeFilter } from "../../../modules/player/time-filter.js";
import { SeededRandom } from "../../support/random.js";

// Known answers from the Sendspin time-filter reference implementation (C++, default Config), for a
// deterministic sequence: 130 measurements of a true offset 123456789012 µs drifting +100 ppm, with
// bounded noise, varying max_error, and a 60 ms outlier at index 115 (after the 100-sample baseline,
// so adaptive forgetting applies). Columns: index, time_added, measurement, max_error,
// compute_server_time(t + 777777), compute_client_time(t + 777777 + O0), get_error().
const REFERENCE: number[][] = [
  [0, 5261208, 123456789586, 566, 123462828571, 6038411, 283], [1, 7365920, 123456786540, 4140, 123464930237, 8146169, 2070],
  [2, 9053588, 123456790434, 2693, 123466620509, 9831233, 1202], [3, 11603939, 123456790493, 659, 123469172180, 12380264, 327],
  [4, 14701367, 123456790798, 794, 123472269994, 15477306, 377], [5, 16282249, 123456792556, 2085, 123473851439, 17057625, 495],
  [9, 21619490, 123456791776, 855, 123479189268, 22394278, 363], [19, 35777505, 123456794515, 2584, 123493348255, 36551322, 409],
  [29, 53111100, 123456791256, 3801, 123510683641, 53883125, 423], [39, 72741113, 123456793292, 3132, 123530315164, 73511629, 309],
  [49, 87872420, 123456794996, 3901, 123545448063, 88641344, 287], [59, 102231260, 123456798547, 2863, 123559808001, 102999086, 181],
  [69, 119277166, 123456801500, 1316, 123576855646, 120043253, 163], [79, 136971513, 123456803109, 2699, 123594551997, 137735596, 163],
  [89, 153246784, 123456805585, 1591, 123610828931, 154009205, 160], [99, 170622091, 123456806834, 1850, 123628205857, 171382893, 151],
  [109, 187198421, 123456808800, 1641, 123644783950, 187957460, 137], [114, 197248214, 123456808629, 2966, 123654834777, 198006219, 145],
  [115, 199185593, 123456871141, 3112, 123656774497, 199941258, 288], [116, 199462426, 123456808982, 2701, 123657051270, 200218151, 282],
  [117, 199775367, 123456807735, 3231, 123657364148, 200531154, 279], [118, 202000431, 123456808621, 2272, 123659589315, 202756116, 275],
  [119, 202213064, 123456806816, 3589, 123659801874, 202968823, 272], [129, 222233825, 123456811187, 500, 123679823428, 222988790, 140],
];

describe("time filter", () => {
  test("matches the reference implementation's known answers (offset, drift, forgetting, conversions, error)", () => {
    const f = new TimeFilter();
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s >>> 8) / 16777216;
    };
    const O0 = 123456789012, drift = 100e-6;
    let t = 5000000, row = 0;
    for (let i = 0; i < 130; i++) {
      t += 200000 + Math.trunc(rnd() * 3000000);
      const maxErr = 500 + Math.trunc(rnd() * 4000);
      let noise = Math.trunc((rnd() * 2 - 1) * maxErr);
      if (i === 115) noise += 60000;
      const meas = O0 + Math.trunc(drift * t) + noise;
      assert.ok(f.update(meas, maxErr, t));
      const ref = REFERENCE[row];
      if (ref && ref[0] === i) {
        assert.deepEqual([t, meas, maxErr], ref.slice(1, 4), `inputs ${i}`);
        const q = t + 777777;
        assert.equal(f.toServer(q), ref[4], `compute_server_time ${i}`);
        assert.equal(f.toClient(q + O0), ref[5], `compute_client_time ${i}`);
        assert.equal(Math.round(f.errorUs()), ref[6], `get_error ${i}`);
        row++;
      }
    }
    assert.equal(row, REFERENCE.length);
    report(`time filter: ${REFERENCE.length} reference answers matched over 130 updates`);
  });

  test("first measurement sets the offset, the second a finite-difference drift; stale times are ignored", () => {
    const f = new TimeFilter();
    assert.equal(f.errorUs(), Infinity);
    assert.ok(f.update(1000, 200, 1_000_000));
    assert.equal(f.offsetUs, 1000);
    assert.equal(f.errorUs(), 100); // max_error × 0.5
    assert.equal(f.update(5000, 200, 1_000_000), false, "same time");
    assert.equal(f.update(5000, 200, 999_999), false, "earlier time");
    assert.equal(f.update(NaN, 200, 2_000_000), false, "NaN");
    assert.equal(f.update(1, -1, 2_000_000), false, "negative max_error");
    assert.ok(f.update(1100, 200, 2_000_000));
    assert.equal(f.offsetUs, 1100);
    assert.equal(f.driftEstimate, 100 / 1_000_000);
    assert.equal(f.count, 2);
    f.reset();
    assert.equal(f.count, 0);
    assert.equal(f.errorUs(), Infinity);
  });

  test("conversions are exact integers and invert each other for large timestamps", () => {
    const f = new TimeFilter();
    const offset = 7_300_000_123_457; // server ~84 days ahead of a client that booted recently
    const base = 2 ** 50; // the client clock itself large: ~35 years of µs
    // Exactly 100 ppm drift, noiseless, measured every second.
    for (let i = 0; i < 30; i++) {
      const t = base + i * 1_000_000;
      f.update(offset + Math.round((t - base) * 100e-6), 500, t);
    }
    assert.ok(f.effectiveDrift > 99e-6 && f.effectiveDrift < 101e-6, `drift ${f.effectiveDrift}`);
    let worst = 0;
    for (let k = 0; k < 1000; k++) {
      const c = base + 29_000_000 + k * 7_919_993;
      const s = f.toServer(c);
      assert.ok(Number.isInteger(s) && Number.isInteger(f.toClient(s)));
      worst = Math.max(worst, Math.abs(f.toClient(s) - c));
      // The prediction follows the drifting offset exactly (noiseless data).
      assert.ok(Math.abs(s - (c + offset + (c - base) * 100e-6)) <= 1, `toServer ${k}`);
    }
    assert.ok(worst <= 1, `round trip off by ${worst} µs`);
    // Without drift, conversion is plain integer arithmetic.
    const z = new TimeFilter();
    z.update(offset, 100, 10);
    z.update(offset, 100, 20);
    assert.equal(z.toClient(offset + 2 ** 52 + 3), 2 ** 52 + 3);
    assert.equal(z.toServer(2 ** 52 + 3), offset + 2 ** 52 + 3);
  });

  test("drift is applied only once statistically significant", () => {
    const rng = new SeededRandom(5);
    const flat = new TimeFilter();
    for (let i = 0; i < 40; i++) flat.update(10_000 + (rng.below(2001) - 1000), 2000, 1_000_000 * (i + 1));
    assert.equal(flat.effectiveDrift, 0, "no drift in, none applied");
    const drifting = new TimeFilter();
    for (let i = 0; i < 40; i++) drifting.update(10_000 + 100e-6 * 1_000_000 * (i + 1) * 10 + (rng.below(2001) - 1000), 2000, 10_000_000 * (i + 1));
    assert.ok(drifting.effectiveDrift > 80e-6 && drifting.effectiveDrift < 120e-6, `drift ${drifting.effectiveDrift}`);
  });

  test("converges under ±100 ppm drift and 0–20 ms jitter (best of 8 probes per burst)", () => {
    for (const ppm of [100, -100]) {
      const rng = new SeededRandom(ppm > 0 ? 7 : 8);
      const f = new TimeFilter();
      const offset = 5_000_000_000;
      let t = 1_000_000, worstLate = 0;
      for (let burst = 0; burst < 120; burst++) {
        let best = { m: 0, e: Infinity, at: 0 };
        for (let p = 0; p < 8; p++) {
          const up = 500 + rng.below(20_001), down = 500 + rng.below(20_001);
          const t1 = t, t2 = t1 + up + offset + (t1 + up) * ppm * 1e-6, t3 = t2 + 30;
          const t4 = t1 + up + 30 + down;
          const m = (t2 - t1 + (t3 - t4)) / 2, e = (t4 - t1 - (t3 - t2)) / 2;
          if (e < best.e) best = { m, e, at: Math.floor((t1 + t4) / 2) };
          t = t4;
        }
        f.update(best.m, best.e, best.at);
        t += burst < 60 ? 20_000 : 2_000_000;
        if (burst >= 80) {
          // Error of the prediction against the true server clock, 1 s after the update.
          const c = t + 1_000_000;
          const truth = c + offset + c * ppm * 1e-6;
          worstLate = Math.max(worstLate, Math.abs(f.toServer(c) - truth));
        }
      }
      assert.ok(worstLate < 1500, `${ppm} ppm: prediction error ${worstLate} µs`);
      assert.ok(Math.abs(f.effectiveDrift - ppm * 1e-6) < 20e-6, `${ppm} ppm: drift ${f.effectiveDrift}`);
      report(`time filter ${ppm} ppm, 0–20 ms jitter: worst |prediction − truth| over the last 40 bursts ${worstLate.toFixed(0)} µs, drift ${(f.effectiveDrift * 1e6).toFixed(1)} ppm`);
    }
  });
});
