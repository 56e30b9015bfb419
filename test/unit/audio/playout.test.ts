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

describe("timed sink", () => {
  test("plays each buffer at its time, releases it after its last frame, then says it is writable", () => {
    const clock = new ManualClock(0);
    const played: number[][] = [];
    const sink = new TimedSink(clock, {
      nativeFormats: [F48],
      capacityMs: 20,
      latencyUs: 1000,
      tickMs: 1,
      onPlay: (pcm, f, gain) => played.push([pcm.length, f.sampleRate, gain]),
    });
    let writable = 0;
    sink.onWritable = () => writable++;
    sink.open(F48);
    const done: number[] = [];
    const b = new Uint8Array(480 * 4);
    assert.ok(sink.write(b, 480, () => done.push(1)));
    assert.ok(sink.write(b, 480, () => done.push(2)));
    assert.equal(sink.write(b, 480, () => done.push(3)), false, "full");
    clock.advanceMs(1);
    assert.deepEqual(played, [[1920, 48000, 1]]);
    clock.advanceMs(10);
    assert.deepEqual(done, [1]);
    assert.equal(writable, 1);
    assert.equal(sink.playedFrames, 960);
    sink.setGain(0.25);
    assert.ok(sink.write(b, 480));
    clock.advanceMs(30);
    assert.deepEqual(played[2], [1920, 48000, 0.25]);
    assert.deepEqual(done, [1, 2]);
    sink.close();
    assert.equal(clock.pendingTimers(), 0);
  });
  test("flush drops what is queued and releases it", () => {
    const clock = new ManualClock(0);
    const sink = new TimedSink(clock, { nativeFormats: [F48], tickMs: 1 });
    sink.open(F48);
    const done: number[] = [];
    sink.write(new Uint8Array(4800 * 4), 4800, () => done.push(1));
    sink.flush();
    assert.deepEqual(done, [1]);
    assert.equal(sink.queuedFrames(), 0);
    sink.close();
  });
});
