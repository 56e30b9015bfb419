import { assert, describe, test } from "../../harness.js";
import { volumeToDb, volumeToGain } from "../../../modules/player/volume.js";
import { DebouncedValue, leadTimeMs, minBufferMs } from "../../../modules/player/timing.js";

describe("volume curve", () => {
  test("perceived loudness: 50 is half as loud (−10 dB) as 100; 0 and mute are silence", () => {
    assert.equal(volumeToGain(100), 1);
    assert.equal(volumeToGain(0), 0);
    assert.equal(volumeToGain(80, true), 0);
    assert.ok(Math.abs(volumeToDb(50) - -10) < 1e-9);
    assert.ok(Math.abs(20 * Math.log10(volumeToGain(50)) - -10) < 1e-9);
    assert.ok(Math.abs(20 * Math.log10(volumeToGain(25)) - -20) < 1e-9, "each halving of volume is another −10 dB");
    let prev = 0;
    for (let v = 1; v <= 100; v++) {
      const g = volumeToGain(v);
      assert.ok(g > prev && g <= 1, `monotonic at ${v}`);
      prev = g;
    }
    assert.ok(volumeToGain(1) < 0.001 && volumeToGain(1) > 0);
  });
});

describe("timing values", () => {
  test("derived from round trips, render horizon and sink latency", () => {
    const i = { maxBestRttUs: 4000, minRttUs: 1000, maxRttUs: 31_000, stallUs: 0, renderLeadUs: 40_000, sinkLatencyUs: 2500 };
    const m = { startUs: 10_000, stallUs: 20_000 };
    assert.equal(leadTimeMs(i, m), Math.ceil((2000 + 10_000 + 40_000 + 2500) / 1000));
    assert.equal(minBufferMs(i, m), Math.ceil((30_000 + 40_000 + 2500 + 20_000) / 1000));
    assert.equal(minBufferMs({ ...i, stallUs: 300_000 }, m), Math.ceil((300_000 + 40_000 + 2500 + 20_000) / 1000), "a stall outweighs the round-trip spread");
  });

  test("debounce: up after 2 sustained evaluations, down after 5, small or transient changes ignored", () => {
    const d = new DebouncedValue();
    assert.equal(d.offer(60), 60, "the first value is reported");
    assert.equal(d.offer(63), undefined, "within 5 ms");
    assert.equal(d.offer(90), undefined, "one evaluation up is not sustained");
    assert.equal(d.offer(61), undefined, "back: the streak resets");
    assert.equal(d.offer(90), undefined);
    assert.equal(d.offer(100), 100, "two in a row: the largest of the streak");
    for (let k = 0; k < 4; k++) assert.equal(d.offer(40), undefined, `down ${k}`);
    assert.equal(d.offer(42), 42);
    assert.equal(d.value, 42);
    d.reset(10);
    assert.equal(d.value, 10);
    assert.equal(d.offer(14), undefined, "5 ms minimum step");
  });
});
