import { assert, describe, report, test } from "../../harness.js";
import { ChunkQueue, PUSH_OK } from "../../../modules/player/chunk-queue.js";
import { planFormat } from "../../../modules/player/pcm.js";
import { Scheduler } from "../../../modules/player/scheduler.js";
import { writeAudioChunkTimestamp } from "../../../modules/protocol/player-messages.js";
import { ManualClock } from "../../support/clock.js";
import { RecordingSink } from "../../support/recording-sink.js";

// A scheduler on a recording sink. The "filter" is an identity plus `shift`: a chunk with timestamp ts
// should start playing at local time ts + shift. Frames carry their own index (left = index & 0xffff,
// right = (index >> 16) + 1; silence is 0/0), so the output can be checked frame by frame.
class Rig {
  readonly clock = new ManualClock(1_000_000);
  readonly sink: RecordingSink;
  readonly queue: ChunkQueue;
  readonly sched: Scheduler;
  shift = 0;
  gen = 0;
  readonly frameUs: number;
  ts0: number;
  nextIndex = 0;

  constructor(readonly rate = 48000, o: { latencyUs?: number; ppm?: number; capacity?: number; startInMs?: number } = {}) {
    this.sink = new RecordingSink(this.clock, { latencyUs: o.latencyUs ?? 0, ppm: o.ppm ?? 0, keepSamples: true });
    const cap = o.capacity ?? 400_000;
    const maxChunks = 512;
    const maxRate = 96000;
    const ring = ChunkQueue.ringBytesFor(cap, maxChunks, Math.ceil(maxRate * 0.15) * 4);
    const blockMax = Scheduler.blockFrames(maxRate, 10) * 4;
    this.queue = new ChunkQueue(new Uint8Array(ring + 4 * blockMax), ring, maxChunks, cap);
    this.sched = new Scheduler(this.clock, this.sink, this.queue, (ts) => ts + this.shift, ring, blockMax);
    this.frameUs = 1e6 / rate;
    this.ts0 = this.clock.nowUs() + (o.startInMs ?? 100) * 1000;
    this.open(rate);
  }

  open(rate: number): void {
    this.gen = this.sched.setFormat(planFormat(this.sink.nativeFormats, { sampleRate: rate, channels: 2, bitsPerSample: 16 })!);
  }

  tsOf(index: number): number {
    return this.ts0 + index * this.frameUs;
  }

  /** Queue `n` chunks of `frames` frames continuing the stream. */
  push(n: number, frames = Math.round(this.rate / 50)): void {
    for (let c = 0; c < n; c++) {
      const b = new Uint8Array(8 + frames * 4);
      writeAudioChunkTimestamp(b, 0, Math.round(this.tsOf(this.nextIndex)));
      for (let f = 0; f < frames; f++) {
        const i = this.nextIndex + f, o = 8 + f * 4;
        b[o] = i & 255;
        b[o + 1] = (i >> 8) & 255;
        b[o + 2] = ((i >> 16) + 1) & 255;
        b[o + 3] = ((i >> 16) + 1) >> 8;
      }
      assert.equal(this.queue.push(b, Math.round(this.tsOf(this.nextIndex)), frames, 4, 4, this.gen), PUSH_OK);
      this.nextIndex += frames;
      this.sched.onChunk();
    }
  }

  /** Decode everything played: per data frame its index and error (play time − target), plus silence. */
  analyze(): { indices: number[]; errors: number[]; silence: number; jumps: { at: number; delta: number }[] } {
    const indices: number[] = [], errors: number[] = [], jumps: { at: number; delta: number }[] = [];
    let silence = 0, prev = -1;
    for (const s of this.sink.segments) {
      const d = s.data!;
      for (let f = 0; f < s.frames; f++) {
        const lo = d[f * 4] | (d[f * 4 + 1] << 8), hi = d[f * 4 + 2] | (d[f * 4 + 3] << 8);
        if (hi === 0) {
          assert.equal(lo, 0, "silence must be zero");
          silence++;
          continue;
        }
        const idx = lo + (hi - 1) * 65536;
        if (prev >= 0 && idx !== prev + 1) {
          // A duplicate of n frames shows as n repeats in a row: one correction of delta −n.
          const last = jumps[jumps.length - 1];
          if (idx === prev && last && last.delta < 0 && last.at + -last.delta === indices.length) last.delta--;
          else jumps.push({ at: indices.length, delta: idx - prev - 1 });
        }
        prev = idx;
        indices.push(idx);
        errors.push(s.startUs + f * s.frameUs - (this.tsOf(idx) + this.shift));
      }
    }
    return { indices, errors, silence, jumps };
  }
}

const maxAbs = (a: number[]) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

describe("scheduler", () => {
  test("start: one snap of leading silence, then every frame bit-exact at its time", () => {
    const r = new Rig(48000, { latencyUs: 3000, startInMs: 120 });
    r.push(50);
    r.clock.advanceMs(1400);
    const a = r.analyze();
    assert.equal(a.indices.length, 50 * 960, "every frame played");
    assert.equal(a.jumps.length, 0, "no drop or duplicate");
    assert.ok(maxAbs(a.errors) <= r.frameUs / 2, `max error ${maxAbs(a.errors)} µs`);
    const s = r.sched.stats;
    assert.equal(s.snapsStart, 1);
    assert.equal(s.softDrops + s.softDups + s.snapsError, 0);
    assert.equal(r.sink.ownershipViolations, 0);
    assert.equal(r.sink.gaps, 0, "the DAC never ran dry between writes");
  });

  test("inside the dead band nothing changes; outside it, N frames per chunk until back inside", () => {
    for (const [rate, n] of [[48000, 1], [44100, 1], [96000, 2]] as const) {
      for (const dir of [1, -1]) {
        const r = new Rig(rate);
        r.push(20);
        r.clock.advanceMs(300);
        r.shift = 90 * dir; // inside the dead band: no correction
        r.push(20);
        r.clock.advanceMs(400);
        assert.equal(r.sched.stats.softDrops + r.sched.stats.softDups, 0, "dead band");
        r.shift = 400 * dir; // later target: playback early → duplicates (and the reverse)
        r.push(40);
        r.clock.advanceMs(1200);
        const a = r.analyze();
        const s = r.sched.stats;
        for (const j of a.jumps) assert.equal(j.delta, dir > 0 ? -n : n, `rate ${rate}: every correction is N=${n} frames`);
        const frames = dir > 0 ? s.softDups : s.softDrops;
        assert.equal(frames, a.jumps.length * n);
        // Corrected from 400 µs into the dead band: (400 − 100) / (N frames) steps, give or take one.
        const expected = Math.ceil((400 - 100) / ((n * 1e6) / rate));
        assert.ok(a.jumps.length >= expected - 1 && a.jumps.length <= expected + 1, `rate ${rate}: ${a.jumps.length} corrections, expected ~${expected}`);
        const tail = a.errors.slice(-rate / 5);
        assert.ok(maxAbs(tail) <= 100 + 1e6 / rate, `rate ${rate}: settled error ${maxAbs(tail)}`);
        assert.equal(s.snapsError, 0);
      }
    }
  });

  test("a correction never exceeds 0.5 % of its chunk (short chunks are not corrected)", () => {
    const r = new Rig(48000);
    r.push(60, 150); // 150 frames: cap floor(0.75) = 0
    r.clock.advanceMs(120); // playing
    r.shift = 500;
    r.push(200, 150); // 625 ms
    r.clock.advanceMs(300);
    assert.equal(r.sched.stats.softDups, 0, "no correction allowed on 150-frame chunks");
    r.push(100, 200); // cap 1
    r.clock.advanceMs(700);
    assert.ok(r.sched.stats.softDups > 0);
    assert.equal(r.sched.stats.snapsError, 0);
    assert.equal(r.analyze().jumps.every((j) => j.delta === -1), true);
  });

  test("errors over 1 ms snap in one shot: silence when early, a dropped prefix when late", () => {
    const r = new Rig(48000);
    r.push(20);
    r.clock.advanceMs(300);
    const startSilence = r.analyze().silence;
    r.shift = 5000; // 5 ms later: insert 240 frames of silence
    r.push(20);
    r.clock.advanceMs(400);
    let a = r.analyze();
    assert.equal(r.sched.stats.snapsError, 1);
    assert.equal(a.jumps.length, 0, "no frame lost");
    assert.equal(a.silence, startSilence + 240, "5 ms of silence inserted");
    r.shift = 0; // 5 ms earlier: drop 240 frames
    r.push(20);
    r.clock.advanceMs(400);
    a = r.analyze();
    assert.equal(r.sched.stats.snapsError, 2);
    assert.deepEqual(a.jumps, [{ at: a.jumps[0].at, delta: 240 }]);
    assert.ok(maxAbs(a.errors.slice(-48000 / 10)) <= r.frameUs / 2);
    assert.equal(r.sched.stats.softDrops + r.sched.stats.softDups, 0);
  });

  test("stream/clear flushes the sink and the buffer; the next chunks snap to their time", () => {
    const r = new Rig(48000);
    r.push(30);
    r.clock.advanceMs(250);
    const flushes = r.sink.flushes;
    r.sched.clear();
    assert.equal(r.sink.flushes, flushes + 1);
    assert.equal(r.queue.count, 0);
    r.ts0 = r.clock.nowUs() + 80_000 - r.nextIndex * r.frameUs; // the stream continues 80 ms from now
    r.push(20);
    r.clock.advanceMs(600);
    const a = r.analyze();
    assert.equal(r.sched.stats.snapsClear, 1);
    const after = a.errors.slice(a.jumps[0].at);
    assert.ok(maxAbs(after) <= r.frameUs / 2, `after clear ${maxAbs(after)}`);
  });

  test("underrun: the last partial block is padded, data coming back snaps and is counted once", () => {
    const r = new Rig(48000, { latencyUs: 1000 });
    r.push(10);
    r.clock.advanceMs(500); // all played, then starved
    assert.equal(r.sched.stats.underruns, 0, "running out at the end of the data is not yet an underrun");
    r.nextIndex += 48000 * 0.3; // 300 ms missing from the stream
    r.push(10);
    r.clock.advanceMs(400);
    const a = r.analyze();
    const s = r.sched.stats;
    assert.equal(s.underruns, 1);
    assert.equal(s.snapsUnderrun, 1);
    assert.ok(maxAbs(a.errors) <= r.frameUs / 2, `max error ${maxAbs(a.errors)}`);
    assert.ok(s.underrunGapUs > 0);
  });

  test("a chunk entirely in the past is dropped and the next one snaps", () => {
    const r = new Rig(48000);
    r.push(10);
    r.clock.advanceMs(150);
    r.shift = -60_000; // everything queued is now 60 ms late
    r.push(10);
    r.clock.advanceMs(300);
    const s = r.sched.stats;
    assert.ok(s.lateChunks >= 2, `late chunks ${s.lateChunks}`);
    assert.equal(s.snapsError, 1);
    const a = r.analyze();
    assert.ok(maxAbs(a.errors.slice(-4800)) <= r.frameUs / 2);
  });

  test("follows a DAC 200 ppm off the clock with soft corrections only", () => {
    for (const ppm of [200, -200]) {
      const r = new Rig(48000, { ppm });
      for (let k = 0; k < 16; k++) {
        r.push(10);
        r.clock.advanceMs(200);
      }
      r.clock.advanceMs(300);
      const a = r.analyze();
      const s = r.sched.stats;
      assert.equal(s.snapsError, 0);
      assert.ok(s.softDrops + s.softDups >= 20, `${ppm} ppm: ${s.softDrops}/${s.softDups}`);
      assert.ok(maxAbs(a.errors) <= 100 + 21, `${ppm} ppm: max error ${maxAbs(a.errors)}`);
      report(`scheduler: DAC ${ppm} ppm over 3 s: ${s.softDrops} drops, ${s.softDups} duplicates, max error ${maxAbs(a.errors).toFixed(1)} µs`);
    }
  });

  test("a format change plays the old format out, drains, re-opens, and plays the new one bit-exact", () => {
    const r = new Rig(48000, { latencyUs: 2000 });
    r.push(25); // 500 ms at 48 kHz
    r.clock.advanceMs(200);
    const oldGen = r.gen;
    const endOld = r.tsOf(r.nextIndex);
    r.open(44100);
    assert.notEqual(r.gen, oldGen);
    assert.equal(r.sink.format!.sampleRate, 48000, "not yet: the old stream is still playing");
    // The new stream continues right after the old one, at 44.1 kHz.
    const oldFrames = r.nextIndex;
    (r as { frameUs: number }).frameUs = 1e6 / 44100;
    r.ts0 = endOld;
    r.nextIndex = 0;
    r.push(25, 882);
    r.clock.advanceMs(1200);
    assert.deepEqual(r.sink.events.filter((e) => e.startsWith("open")), ["open 48000/16/2", "open 44100/16/2"]);
    const seg48 = r.sink.segments.filter((s) => s.format.sampleRate === 48000);
    const seg44 = r.sink.segments.filter((s) => s.format.sampleRate === 44100);
    assert.ok(seg48[seg48.length - 1].startUs < seg44[0].startUs);
    let played48 = 0;
    for (const s of seg48) {
      for (let f = 0; f < s.frames; f++) if (s.data![f * 4 + 2] | s.data![f * 4 + 3]) played48++;
    }
    assert.equal(played48, oldFrames, "the old format played out completely");
    const a = r.analyze(); // decodes with the new ts0/frameUs: keep only the 44.1 kHz part
    const newPart = a.indices.slice(oldFrames);
    for (let i = 1; i < newPart.length; i++) if (newPart[i] !== newPart[i - 1] + 1) assert.fail(`44.1 kHz frame ${i} out of sequence`);
    assert.equal(r.sched.stats.snapsFormat, 1);
    assert.equal(r.sink.ownershipViolations, 0);
  });

  test("a stream/start with the same output format keeps everything (no re-open, no clear)", () => {
    const r = new Rig(48000);
    r.push(10);
    r.clock.advanceMs(100);
    const g = r.gen;
    r.open(48000);
    assert.equal(r.gen, g);
    r.push(10);
    r.clock.advanceMs(500);
    assert.equal(r.sink.opens, 1);
    assert.equal(r.analyze().jumps.length, 0);
    assert.equal(r.analyze().indices.length, 20 * 960);
  });
});
