import { assert, describe, test } from "../../harness.js";
import { PlayoutQueue } from "../../../modules/audio/playout-queue.js";
import { TimedSink } from "../../../modules/audio/timed-sink.js";
import { ManualClock } from "../../support/clock.js";

const F48 = { sampleRate: 48000, channels: 2, bitsPerSample: 16 };

describe("playout queue", () => {
  test("frames play back to back after the latency; the next play time follows the queue", () => {
    const clock = new ManualClock(0);
    const q = new PlayoutQueue(clock, { capacityMs: 100, latencyUs: 5000, maxItems: 8 });
    q.reset(F48);
    assert.equal(q.nextPlayTimeUs(), 5000);
    assert.ok(q.push(new Uint8Array(480 * 4), 480)); // 10 ms
    assert.equal(q.head()!.startUs, 5000);
    assert.equal(q.nextPlayTimeUs(), 15000);
    assert.ok(q.push(new Uint8Array(480 * 4), 480));
    assert.equal(q.nextPlayTimeUs(), 25000);
    assert.equal(q.queuedFrames(), 1200); // 25 ms ahead of now, latency included
    clock.advanceUs(20000);
    assert.equal(q.queuedFrames(), 240);
    clock.advanceUs(100000); // underrun: the next buffer starts after the latency again
    assert.equal(q.nextPlayTimeUs(), 125000);
  });
  test("a buffer queued while the output still plays follows without a gap, even with less than the latency left", () => {
    const clock = new ManualClock(0);
    const q = new PlayoutQueue(clock, { capacityMs: 100, latencyUs: 42_000, maxItems: 8 });
    q.reset(F48);
    assert.ok(q.push(new Uint8Array(480 * 4), 480)); // 10 ms from 42 ms
    assert.ok(q.push(new Uint8Array(480 * 4), 480)); // to 62 ms
    clock.advanceUs(55_000); // 7 ms left: less than the latency
    assert.equal(q.nextPlayTimeUs(), 62_000);
    assert.ok(q.push(new Uint8Array(480 * 4), 480));
    assert.equal(q.nextPlayTimeUs(), 72_000);
    clock.advanceUs(17_000); // played out at 72 ms: dry, the pipeline delay applies again
    assert.equal(q.nextPlayTimeUs(), 72_000 + 42_000);
  });
  test("refuses beyond capacity or ring size, and a buffer too short for its frame count", () => {
    const clock = new ManualClock(0);
    const q = new PlayoutQueue(clock, { capacityMs: 20, latencyUs: 0, maxItems: 3 });
    q.reset(F48);
    const b = new Uint8Array(480 * 4);
    assert.ok(q.push(b, 480));
    assert.ok(q.push(b, 480));
    assert.equal(q.push(b, 480), false, "capacity");
    assert.equal(q.push(new Uint8Array(10), 480), false, "short buffer");
    const big = new PlayoutQueue(clock, { capacityMs: 1, latencyUs: 0, maxItems: 2 });
    big.reset(F48);
    assert.ok(big.push(b, 480), "an empty sink takes a buffer longer than its capacity");
    const ring = new PlayoutQueue(clock, { capacityMs: 1000, latencyUs: 0, maxItems: 2 });
    ring.reset(F48);
    assert.ok(ring.push(b, 1));
    assert.ok(ring.push(b, 1));
    assert.equal(ring.push(b, 1), false, "ring full");
  });
  test("consume releases finished buffers in order; drop releases the rest", () => {
    const clock = new ManualClock(0);
    const q = new PlayoutQueue(clock, { capacityMs: 1000, latencyUs: 0, maxItems: 4 });
    q.reset({ sampleRate: 8000, channels: 1, bitsPerSample: 16 });
    const done: string[] = [];
    q.push(new Uint8Array(8), 4, () => done.push("a"));
    q.push(new Uint8Array(8), 4, () => done.push("b"));
    q.push(new Uint8Array(8), 4, () => done.push("c"));
    q.consume(6);
    assert.deepEqual(done, []);
    q.consume(2);
    assert.deepEqual(done, ["a"]);
    assert.equal(q.items(), 2);
    q.drop();
    assert.deepEqual(done, ["a", "b", "c"]);
    assert.equal(q.items(), 0);
  });
});

describe("timed sink (a DAC model on the clock)", () => {
  const FRAME_US = 1e6 / 48000;
  function rig() {
    const clock = new ManualClock(0);
    const out = { anchors: [] as number[], frames: 0, zeros: 0, gains: [] as number[], starts: [] as number[] };
    const sink = new TimedSink(clock, {
      nativeFormats: [F48],
      capacityMs: 20,
      latencyUs: 1000,
      tickMs: 1,
      onAnchor: (us) => out.anchors.push(us),
      onPlay: (pcm, f, gain) => {
        if (out.frames % 480 === 0) out.starts.push(out.frames + out.zeros); // a buffer's first frame: where in the run
        out.frames += pcm.length / (f.channels * 2);
        out.gains.push(gain);
      },
      onSilence: (frames) => void (out.zeros += frames),
    });
    return { clock, sink, out };
  }

  test("buffers play back to back from the latency on; gapless however little is queued; released after their last frame", () => {
    const { clock, sink, out } = rig();
    let writable = 0;
    sink.onWritable = () => writable++;
    sink.open(F48);
    assert.equal(sink.nextPlayTimeUs(), 1000);
    const done: number[] = [];
    const b = new Uint8Array(480 * 4);
    assert.ok(sink.write(b, 480, () => done.push(1)));
    assert.ok(sink.write(b, 480, () => done.push(2)));
    assert.equal(sink.write(b, 480, () => done.push(3)), false, "full (20 ms)");
    assert.equal(sink.nextPlayTimeUs(), 1000 + 960 * FRAME_US);
    clock.advanceMs(11);
    assert.deepEqual(out.anchors, [1000]);
    assert.deepEqual(done, [1], "released once its last frame played");
    assert.equal(writable, 1);
    // 0.5 ms left queued, less than the latency: the next buffer still follows without a gap.
    clock.advanceUs(20_500 - 11_000);
    assert.ok(sink.queuedFrames() > 0 && sink.queuedFrames() * FRAME_US < 1000);
    assert.equal(sink.nextPlayTimeUs(), 1000 + 960 * FRAME_US);
    sink.setGain(0.25);
    assert.ok(sink.write(b, 480, () => done.push(4)));
    clock.advanceMs(30);
    assert.deepEqual(done, [1, 2, 4]);
    assert.equal(out.frames, 1440);
    assert.equal(out.gains[out.gains.length - 1], 0.25);
    // Ran dry: zeros; a write now starts after the latency, on the frame grid; the zeros in between are played.
    const now = clock.nowUs();
    const expect = Math.ceil((now - 1000) / FRAME_US + 1000 / FRAME_US);
    assert.equal(sink.nextPlayTimeUs(), 1000 + expect * FRAME_US);
    assert.ok(sink.write(b, 480));
    clock.advanceMs(30);
    assert.equal(out.frames, 1920);
    assert.deepEqual(out.starts, [0, 480, 960, expect], "each buffer at its frame of the run, zeros before the last");
    assert.equal(out.anchors.length, 1, "one run");
    sink.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  test("flush keeps what played, drops the rest and releases it; the next write starts after the latency at the time promised", () => {
    const { clock, sink, out } = rig();
    sink.open(F48);
    const done: number[] = [];
    sink.write(new Uint8Array(960 * 4), 960, () => done.push(1));
    clock.advanceMs(11); // 10 ms played
    sink.flush();
    assert.deepEqual(done, [1]);
    assert.equal(sink.queuedFrames(), 0);
    assert.equal(out.frames, 481, "the frames whose time had come");
    const promised = sink.nextPlayTimeUs();
    assert.ok(promised >= clock.nowUs() + 1000 && promised < clock.nowUs() + 1000 + FRAME_US);
    clock.advanceUs(300); // the caller takes its time: the promise holds
    sink.write(new Uint8Array(480 * 4), 480);
    assert.equal(sink.nextPlayTimeUs(), promised + 480 * FRAME_US);
    sink.close();
  });

  test("idle for idleStopMs: the DAC stops after that much zeros; the next write starts a new run", () => {
    const { clock, sink, out } = rig();
    sink.open(F48);
    sink.write(new Uint8Array(480 * 4), 480);
    clock.advanceMs(1500);
    assert.equal(out.zeros, 48000, "one second of zeros after the buffer");
    sink.write(new Uint8Array(480 * 4), 480);
    clock.advanceMs(20);
    assert.deepEqual(out.anchors, [1000, 1_501_000]);
    sink.close();
  });
});
