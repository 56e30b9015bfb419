// Measures a PlaybackSim's output at the sink, independently of what the pipeline reports: every frame
// is decoded back to its index (the simulated server writes each frame's index into its samples), so
// drops, duplicates and inserted silence are seen where they happen, and a frame's play time can be set
// against the time filter's prediction for that frame's server timestamp (the spec's sync accuracy).

import type { PlaybackSim } from "./playback-sim.js";

export interface SyncReport {
  /** |play time − filter-predicted time| of measured frames (µs), after playback started. */
  samples: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Measured frames off by more than 1 ms / 0.5 ms. */
  over1ms: number;
  over500us: number;
  /** Largest |net soft corrections| over any 150 ms of output, as a fraction of the frames. */
  maxSpeedDeviation: number;
  softEvents: number;
  /** Discontinuities that are not soft corrections (silence inserted, or jumps larger than the cap). */
  snapEvents: number;
  /** Soft corrections within 500 ms of the first audible frame. */
  softInFirst500ms: number;
  /** Local time of the first frame and of the first soft correction (µs; NaN if none). */
  firstFrameUs: number;
  firstSoftUs: number;
  framesPlayed: number;
  /** Frames that were not the next, the same (duplicate) or later one: out of order or foreign. */
  garbled: number;
}

export class SyncMeter {
  private errors: number[] = [];
  private errorTimes: number[] = [];
  private events: { pos: number; delta: number; silence: boolean; atUs: number }[] = [];
  private prev = -1;
  private silenceRun = 0;
  private outPos = 0;
  private firstFrameUs = NaN;
  private garbled = 0;
  /** Intervals (local µs) excluded from the steady state: around allowed re-synchronizations. */
  private excluded: { from: number; to: number }[] = [];

  constructor(
    private readonly sim: PlaybackSim,
    /** Largest discontinuity counted as a soft correction (frames). */
    private readonly softCap = 4,
  ) {
    sim.onPlayed = (buf, frames, startUs, frameUs) => this.onPlayed(buf, frames, startUs, frameUs);
  }

  /** Exclude [fromUs, toUs] from the steady-state statistics (an allowed one-shot resync). */
  exclude(fromUs: number, toUs: number): void {
    this.excluded.push({ from: fromUs, to: toUs });
  }

  private onPlayed(buf: Uint8Array, frames: number, startUs: number, frameUs: number): void {
    const player = this.sim.player;
    const delayUs = player.staticDelayMs * 1000;
    let firstData = -1, lastData = -1, lastIdx = 0;
    for (let f = 0; f < frames; f++) {
      const o = f * 4;
      const lo = buf[o] | (buf[o + 1] << 8);
      const hi = buf[o + 2] | (buf[o + 3] << 8);
      if (hi === 0) {
        if (lo !== 0) this.garbled++;
        this.silenceRun++;
        this.outPos++;
        continue;
      }
      const idx = lo + (hi - 1) * 65536;
      if (this.prev >= 0) {
        const delta = idx - this.prev - 1;
        if (delta !== 0 || this.silenceRun > 0) this.events.push({ pos: this.outPos, delta, silence: this.silenceRun > 0, atUs: startUs + f * frameUs });
        if (delta < -this.softCap - 1) this.garbled++;
      }
      if (Number.isNaN(this.firstFrameUs)) this.firstFrameUs = startUs + f * frameUs;
      this.prev = idx;
      this.silenceRun = 0;
      this.outPos++;
      if (firstData < 0) firstData = f;
      lastData = f;
      lastIdx = idx;
      if (f === firstData) this.measure(startUs + f * frameUs, idx, delayUs);
    }
    if (lastData > firstData) this.measure(startUs + lastData * frameUs, lastIdx, delayUs);
  }

  private measure(playUs: number, idx: number, delayUs: number): void {
    const predicted = this.sim.player.filter.toClientExact(this.sim.frameServerTime(idx)) - delayUs;
    this.errors.push(Math.abs(playUs - predicted));
    this.errorTimes.push(playUs);
  }

  report(): SyncReport {
    const steady: number[] = [];
    for (let i = 0; i < this.errors.length; i++) {
      const t = this.errorTimes[i];
      let skip = false;
      for (const x of this.excluded) if (t >= x.from && t <= x.to) skip = true;
      if (!skip) steady.push(this.errors[i]);
    }
    steady.sort((a, b) => a - b);
    const q = (p: number) => (steady.length ? steady[Math.min(steady.length - 1, Math.floor(p * steady.length))] : NaN);
    const soft = this.events.filter((e) => !e.silence && Math.abs(e.delta) <= this.softCap);
    const rate = this.sim.o.sampleRate;
    const W = Math.round(rate * 0.15);
    let maxDev = 0;
    let j = 0, sum = 0;
    for (let i = 0; i < soft.length; i++) {
      while (j < soft.length && soft[j].pos < soft[i].pos + W) sum += soft[j++].delta;
      if (Math.abs(sum) / W > maxDev) maxDev = Math.abs(sum) / W;
      sum -= soft[i].delta;
    }
    const firstSoft = soft.length ? soft[0].atUs : NaN;
    let early = 0;
    for (const e of soft) if (e.atUs < this.firstFrameUs + 500_000) early++;
    return {
      samples: steady.length,
      p50Us: q(0.5),
      p99Us: q(0.99),
      maxUs: steady.length ? steady[steady.length - 1] : NaN,
      over1ms: steady.filter((e) => e > 1000).length,
      over500us: steady.filter((e) => e > 500).length,
      maxSpeedDeviation: maxDev,
      softEvents: soft.length,
      snapEvents: this.events.length - soft.length,
      softInFirst500ms: early,
      firstFrameUs: this.firstFrameUs,
      firstSoftUs: firstSoft,
      framesPlayed: this.outPos,
      garbled: this.garbled,
    };
  }
}
