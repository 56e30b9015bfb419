// The scheduler: renders queued chunks into fixed output blocks at the right local time and keeps the
// sink fed, correcting drift with whole-frame drops and duplicates (the spec's suggested strategy).
//
// Output blocks. K blocks of B frames (~blockMs each) live in the same preallocated memory as the
// jitter buffer; their views are made once per format. Rendering is native copies inside that memory
// (`copyWithin` from the ring, `fill(0)` for silence): no per-sample JavaScript, no allocation. All K
// blocks are kept queued at the sink; each block the sink releases is refilled and written back, so the
// scheduler decides about a chunk at most K·B frames (+ the sink's own latency) before it plays.
//
// Corrections, per chunk, when the renderer reaches the chunk's first frame:
//   position = sink.nextPlayTimeUs() + frames already in the block being filled × frame duration
//   target   = filter.toClient(chunk timestamp) − static delay
//   error    = position − target            (> 0: playback is late)
//   - snap (one shot) when a snap is pending (stream start, stream/clear, underrun, format change) or
//     |error| > snapThresholdUs (1 ms, the spec's floor): late → drop that many leading frames (whole
//     chunks when the excess exceeds them); early → insert that much silence;
//   - otherwise, outside the dead band (~100 µs): drop (late) or duplicate (early) N frames at the chunk
//     start, N = round(21 µs × rate) (≥ 1), capped to floor(0.5 % × the chunk's frames) (speed cap);
//     the rest of the error carries to the next chunk;
//   - inside the dead band: the chunk is copied unchanged.
// Everything else reaches the sink bit-exact.
//
// Starting. With nothing queued at the sink, rendering starts when the first chunk's target is within
// the K-block horizon of the sink's next play time (a timer waits for that), and the start snap pads the
// gap with silence. A chunk far in the future after a gap (a server pause) is handled the same way:
// the scheduler lets the sink drain and starts again from idle.
//
// Underrun. When the sink is down to its last block and no data is there to fill the next one, the
// partial block is padded with silence and written (it plays right after the last one), and the
// scheduler goes idle; the next chunk snaps. It is counted as an underrun only if data for the same
// stream arrives again (the end of a stream is not one); how long no chunk arrived is kept in the stats
// (underrunGapUs), so the player can ask for a larger buffer.

import type { AudioSinkPort, ClockPort, TimerHandle } from "../platform.js";
import type { ChunkQueue } from "./chunk-queue.js";
import { sameFormat, type PlayFormat } from "./pcm.js";

export interface SchedulerOptions {
  /** Output block duration (ms). */
  blockMs: number;
  /** Output blocks kept at the sink. */
  blocks: number;
  deadBandUs: number;
  snapThresholdUs: number;
  /** Soft-correction step duration (µs): N = round(stepUs × rate / 1e6). */
  stepUs: number;
  /** Largest soft correction per chunk, as a fraction of its frames (the ±0.5 % speed cap). */
  maxSpeedDeviation: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: Readonly<SchedulerOptions> = {
  blockMs: 10,
  blocks: 4,
  deadBandUs: 100,
  snapThresholdUs: 1000,
  stepUs: 21,
  maxSpeedDeviation: 0.005,
};

export type SnapReason = "start" | "clear" | "underrun" | "format" | "error";

export interface SchedulerStats {
  chunks: number;
  snapsStart: number;
  snapsClear: number;
  snapsUnderrun: number;
  snapsFormat: number;
  snapsError: number;
  snapDroppedFrames: number;
  snapSilenceFrames: number;
  softDrops: number;
  softDups: number;
  lateChunks: number;
  underruns: number;
  sinkRefused: number;
  /** Error measured at the last chunk start, before correcting (µs; + late). */
  lastErrorUs: number;
  /** Largest |error| measured at a chunk start that did not snap (µs). */
  maxSteadyErrorUs: number;
  /** Longest arrival gap that ended in an underrun (µs: time without new chunks) since the player reset it. */
  underrunGapUs: number;
}

const CLOSED = 0, IDLE = 1, RUNNING = 2, DRAINING = 3;

// beginChunk results
const CHUNK_DROPPED = 0, CHUNK_READY = 1, CHUNK_TOO_EARLY = 2;

export class Scheduler {
  readonly o: SchedulerOptions;
  private state = CLOSED;
  private plan: PlayFormat | undefined;
  private gen = 0;
  private nextPlan: PlayFormat | undefined;
  private nextGen = 0;
  private readonly blockOff: Int32Array;
  /** The epoch each block was written in: a `done` from before a flush/re-open is not a release. */
  private readonly blockEpoch: Int32Array;
  /** One preallocated `done` callback per block. */
  private readonly blockDone: (() => void)[];
  private epoch = 0;
  private blockViews: Uint8Array[] = [];
  private B = 0; // frames per block
  private fb = 0; // bytes per output frame
  private frameUs = 0;
  private stepFrames = 1;
  private writeIdx = 0;
  private inFlight = 0;
  private fill = 0; // frames in the block being filled
  private chunkActive = false; // the head chunk's start has been scheduled
  private curFrame = 0; // frames of the head chunk already rendered or dropped
  private pendingSilence = 0;
  private pendingDup = 0;
  private snapPending = true;
  private snapReason: SnapReason = "start";
  private starved = false;
  private lastArrivalUs = 0;
  private waitEarly = false;
  private formatDue = false;
  private pumping = false;
  /** Where the sink said the next block would play after the last write (µs; NaN: nothing written since idle). */
  private expectNextUs = NaN;
  private timer: TimerHandle | undefined;

  readonly stats: SchedulerStats = Scheduler.emptyStats();

  constructor(
    private readonly clock: ClockPort,
    private readonly sink: AudioSinkPort,
    private readonly queue: ChunkQueue,
    /** Server timestamp (µs) → local target time (µs, may be fractional): filter minus static delay. */
    private readonly targetOf: (serverUs: number) => number,
    /** Byte offset of the output blocks in the queue's memory, and the room for each block. */
    private readonly blocksBase: number,
    private readonly blockMaxBytes: number,
    options: Partial<SchedulerOptions> = {},
  ) {
    this.o = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
    this.blockOff = new Int32Array(this.o.blocks);
    this.blockEpoch = new Int32Array(this.o.blocks);
    this.blockDone = [];
    for (let i = 0; i < this.o.blocks; i++) {
      this.blockOff[i] = blocksBase + i * blockMaxBytes;
      const block = i;
      this.blockDone.push(() => this.onBlockDone(block));
    }
    sink.onWritable = () => {
      if (this.state === RUNNING) this.pump();
    };
  }

  static emptyStats(): SchedulerStats {
    return {
      chunks: 0, snapsStart: 0, snapsClear: 0, snapsUnderrun: 0, snapsFormat: 0, snapsError: 0, snapDroppedFrames: 0,
      snapSilenceFrames: 0, softDrops: 0, softDups: 0, lateChunks: 0, underruns: 0, sinkRefused: 0, lastErrorUs: 0,
      maxSteadyErrorUs: 0, underrunGapUs: 0,
    };
  }

  /** Frames per output block for a rate (what `blockMaxBytes` must hold). */
  static blockFrames(rate: number, blockMs: number): number {
    return Math.max(1, Math.round((rate * blockMs) / 1000));
  }

  /** The format the sink is open with (undefined when closed). */
  get format(): PlayFormat | undefined {
    return this.plan;
  }

  get generation(): number {
    return this.gen;
  }

  /** Duration the scheduler keeps queued at the sink ahead of the play position (µs). */
  get leadUs(): number {
    return this.o.blocks * this.o.blockMs * 1000;
  }

  get running(): boolean {
    return this.state === RUNNING;
  }

  /** Where new audio would start playing now (µs): the end of what the sink has queued. */
  playPositionUs(): number {
    return this.state === CLOSED ? this.clock.nowUs() : this.sink.nextPlayTimeUs();
  }

  /**
   * A stream format (stream/start). Returns the generation to tag its chunks with. A format the open
   * sink already plays keeps the generation (no re-open, no gap: a stream/start that changes nothing
   * for the output does not clear). A different output format re-opens the sink: at once when nothing
   * is queued or playing, otherwise after the chunks of the open format have played out and the sink
   * has drained.
   */
  setFormat(plan: PlayFormat): number {
    if (this.state !== CLOSED && this.plan && sameFormat(plan.output, this.plan.output) && !this.nextPlan) {
      this.plan = plan;
      return this.gen;
    }
    const gen = (this.gen + 1) & 255;
    if (this.state === CLOSED || (this.queue.count === 0 && this.inFlight === 0 && this.sink.queuedFrames() === 0)) {
      this.nextPlan = undefined;
      this.openNow(plan, gen, "start");
      return gen;
    }
    if (this.nextPlan) {
      // A second change before the first took effect: drop everything and open the newest.
      this.nextPlan = undefined;
      this.clear();
      this.openNow(plan, gen, "start");
      return gen;
    }
    this.nextPlan = plan;
    this.nextGen = gen;
    if (this.state === IDLE && this.queue.count === 0) this.beginDrain();
    return gen;
  }

  /** A chunk was queued. */
  onChunk(): void {
    this.stats.chunks++;
    const now = this.clock.nowUs();
    const sinceLast = now - this.lastArrivalUs;
    this.lastArrivalUs = now;
    if (this.starved) {
      this.starved = false;
      this.stats.underruns++;
      if (sinceLast > this.stats.underrunGapUs) this.stats.underrunGapUs = sinceLast;
      this.snapPending = true;
      this.snapReason = "underrun";
    }
    if (this.state === IDLE) this.startFromIdle();
    else if (this.state === RUNNING && this.inFlight < this.o.blocks) this.pump();
  }

  /** stream/clear (and stream/end): drop everything queued and playing; the next chunk snaps. */
  clear(reason: SnapReason = "clear"): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.queue.clear();
    this.epoch++;
    if (this.state !== CLOSED) this.sink.flush();
    this.resetRender();
    this.snapPending = true;
    this.snapReason = reason;
    this.starved = false;
    if (this.state !== CLOSED) {
      if (this.nextPlan) {
        const p = this.nextPlan;
        this.nextPlan = undefined;
        this.openNow(p, this.nextGen, "start");
      } else this.state = IDLE;
    }
  }

  /** Release the sink entirely (role deactivated). */
  close(): void {
    this.clear();
    this.epoch++;
    if (this.state !== CLOSED) this.sink.close();
    this.state = CLOSED;
    this.plan = undefined;
    this.nextPlan = undefined;
  }

  private resetRender(): void {
    this.writeIdx = 0;
    this.inFlight = 0;
    this.fill = 0;
    this.chunkActive = false;
    this.curFrame = 0;
    this.pendingSilence = 0;
    this.pendingDup = 0;
    this.waitEarly = false;
    this.formatDue = false;
    this.expectNextUs = NaN;
  }

  private openNow(plan: PlayFormat, gen: number, reason: SnapReason): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    const out = plan.output;
    this.epoch++;
    this.sink.open(out);
    this.plan = plan;
    this.gen = gen;
    this.fb = plan.outFrameBytes;
    this.B = Math.min(Scheduler.blockFrames(out.sampleRate, this.o.blockMs), Math.floor(this.blockMaxBytes / this.fb));
    this.frameUs = 1_000_000 / out.sampleRate;
    this.stepFrames = Math.max(1, Math.round((this.o.stepUs * out.sampleRate) / 1_000_000));
    const mem = this.queue.mem;
    this.blockViews = [];
    for (let i = 0; i < this.o.blocks; i++) this.blockViews.push(new Uint8Array(mem.buffer, mem.byteOffset + this.blockOff[i], this.B * this.fb));
    this.resetRender();
    this.snapPending = true;
    this.snapReason = reason;
    this.state = IDLE;
    this.startFromIdle();
  }

  private onBlockDone(block: number): void {
    if (this.blockEpoch[block] !== this.epoch) return;
    if (this.inFlight > 0) this.inFlight--;
    if (this.state === RUNNING) this.pump();
    else if (this.state === DRAINING) this.tryFinishDrain();
  }

  /** Leave IDLE once the head chunk is close enough to play; otherwise wait for it on a timer. */
  private startFromIdle(): void {
    if (this.state !== IDLE || this.queue.count === 0) return;
    this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.queue.headGen() !== this.gen) {
      this.beginDrain();
      return;
    }
    const lead = this.targetOf(this.queue.headTs()) - this.sink.nextPlayTimeUs();
    const horizon = this.o.blocks * this.B * this.frameUs;
    // Resuming late (after an underrun or a stall): wait until what survives the late drop fills two
    // blocks, so that a burst still being delivered is not cut into by another round of silence.
    if (lead < 0 && this.queue.queuedFrames + lead / this.frameUs < 2 * this.B) return;
    if (lead > horizon) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.startFromIdle();
      }, (lead - horizon) / 1000);
      return;
    }
    this.state = RUNNING;
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === RUNNING && this.inFlight < this.o.blocks) {
        if (!this.fillBlock()) {
          if (this.formatDue) this.beginDrain();
          else if (this.waitEarly) {
            this.waitEarly = false;
            this.state = IDLE;
            this.startFromIdle();
          } else if (this.inFlight <= 1) this.underrun();
          break;
        }
        if (!this.writeBlock()) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Fill the current block; true when it is complete and ready to write. */
  private fillBlock(): boolean {
    const mem = this.queue.mem;
    const q = this.queue;
    const fb = this.fb;
    const B = this.B;
    const base = this.blockOff[this.writeIdx];
    if (this.fill === 0 && this.chunkActive) this.resyncAfterSinkUnderrun();
    while (this.fill < B) {
      if (this.pendingSilence > 0) {
        const k = Math.min(this.pendingSilence, B - this.fill);
        mem.fill(0, base + this.fill * fb, base + (this.fill + k) * fb);
        this.fill += k;
        this.pendingSilence -= k;
        continue;
      }
      if (!this.chunkActive) {
        if (q.count === 0) return false;
        if (q.headGen() !== this.gen) {
          this.formatDue = true;
          return this.padBlock();
        }
        const r = this.beginChunk();
        if (r === CHUNK_DROPPED) continue;
        if (r === CHUNK_TOO_EARLY) {
          this.waitEarly = true;
          return this.padBlock();
        }
        continue; // silence or duplicates may be pending
      }
      const src = q.headOff() + this.curFrame * fb;
      if (this.pendingDup > 0) {
        mem.copyWithin(base + this.fill * fb, src, src + fb);
        this.fill++;
        this.pendingDup--;
        continue;
      }
      const frames = q.headFrames();
      const k = Math.min(frames - this.curFrame, B - this.fill);
      mem.copyWithin(base + this.fill * fb, src, src + k * fb);
      this.fill += k;
      this.curFrame += k;
      if (this.curFrame >= frames) {
        q.pop();
        this.chunkActive = false;
        this.curFrame = 0;
      }
    }
    return true;
  }

  /** Complete a partly filled block with silence (true: write it); false when it is empty. */
  private padBlock(): boolean {
    if (this.fill === 0) return false;
    const base = this.blockOff[this.writeIdx];
    this.queue.mem.fill(0, base + this.fill * this.fb, base + this.B * this.fb);
    this.fill = this.B;
    return true;
  }

  /** Schedule the head chunk's first frame: measure the error and choose the correction. */
  private beginChunk(): number {
    const q = this.queue;
    const s = this.stats;
    const frames = q.headFrames();
    const position = this.sink.nextPlayTimeUs() + this.fill * this.frameUs;
    const err = position - this.targetOf(q.headTs());
    s.lastErrorUs = err;
    const abs = err < 0 ? -err : err;
    if (this.snapPending || abs > this.o.snapThresholdUs) {
      if (err > 0) {
        const drop = Math.round(err / this.frameUs);
        if (drop >= frames) {
          // Entirely late: drop it and snap on the next one.
          q.pop();
          s.lateChunks++;
          if (!this.snapPending) {
            this.snapPending = true;
            this.snapReason = "error";
          }
          return CHUNK_DROPPED;
        }
        this.curFrame = drop;
        s.snapDroppedFrames += drop;
      } else {
        const silence = Math.round(-err / this.frameUs);
        // Far ahead (a gap in the stream): let the sink drain and start again from idle.
        if (-err > this.o.blocks * this.B * this.frameUs + this.o.snapThresholdUs) {
          if (!this.snapPending) {
            this.snapPending = true;
            this.snapReason = "error";
          }
          return CHUNK_TOO_EARLY;
        }
        this.pendingSilence = silence;
        s.snapSilenceFrames += silence;
      }
      this.countSnap(this.snapPending ? this.snapReason : "error");
      this.snapPending = false;
    } else if (abs > this.o.deadBandUs) {
      if (abs > s.maxSteadyErrorUs) s.maxSteadyErrorUs = abs;
      let n = this.stepFrames;
      const cap = Math.floor(frames * this.o.maxSpeedDeviation);
      if (n > cap) n = cap;
      if (n > 0) {
        if (err > 0) {
          this.curFrame = n;
          s.softDrops += n;
        } else {
          this.pendingDup = n;
          s.softDups += n;
        }
      }
    } else if (abs > s.maxSteadyErrorUs) s.maxSteadyErrorUs = abs;
    this.chunkActive = true;
    return CHUNK_READY;
  }

  /**
   * The sink ran dry while a chunk was half rendered (the host stalled longer than what was queued): its
   * next play time jumped ahead of where the last block ended. Drop what is now late of that chunk, at
   * once, rather than playing its rest late until the next chunk's snap.
   */
  private resyncAfterSinkUnderrun(): void {
    const next = this.sink.nextPlayTimeUs();
    if (!(next - this.expectNextUs > this.o.snapThresholdUs)) return;
    const q = this.queue;
    const s = this.stats;
    const err = next - (this.targetOf(q.headTs()) + this.curFrame * this.frameUs);
    this.pendingDup = 0;
    const drop = err > 0 ? Math.round(err / this.frameUs) : 0;
    const left = q.headFrames() - this.curFrame;
    if (drop < left) {
      this.countSnap("underrun");
      this.curFrame += drop;
      s.snapDroppedFrames += drop;
      return;
    }
    // The whole rest is late: the next chunk snaps (and is counted) as after any underrun.
    s.snapDroppedFrames += left;
    q.pop();
    this.chunkActive = false;
    this.curFrame = 0;
    this.snapPending = true;
    this.snapReason = "underrun";
  }

  private countSnap(r: SnapReason): void {
    const s = this.stats;
    if (r === "start") s.snapsStart++;
    else if (r === "clear") s.snapsClear++;
    else if (r === "underrun") s.snapsUnderrun++;
    else if (r === "format") s.snapsFormat++;
    else s.snapsError++;
  }

  private writeBlock(): boolean {
    const i = this.writeIdx;
    this.blockEpoch[i] = this.epoch;
    if (!this.sink.write(this.blockViews[i], this.B, this.blockDone[i])) {
      this.stats.sinkRefused++;
      return false;
    }
    this.writeIdx = (this.writeIdx + 1) % this.o.blocks;
    this.inFlight++;
    this.fill = 0;
    this.expectNextUs = this.sink.nextPlayTimeUs();
    return true;
  }

  /**
   * No data for the block being filled while the sink is down to its last block: finish the partial
   * block with silence so it still plays contiguously, and stop until data comes back.
   */
  private underrun(): void {
    if (this.padBlock()) this.writeBlock();
    this.state = IDLE;
    this.starved = true;
  }

  private beginDrain(): void {
    this.state = DRAINING;
    this.tryFinishDrain();
  }

  private tryFinishDrain(): void {
    if (this.state !== DRAINING) return;
    this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.inFlight === 0 && this.sink.queuedFrames() === 0) {
      const p = this.nextPlan;
      this.nextPlan = undefined;
      if (p) this.openNow(p, this.nextGen, "format");
      else {
        // No plan for the queued generation (it was refused): drop those chunks.
        while (this.queue.count > 0 && this.queue.headGen() !== this.gen) this.queue.pop();
        this.state = IDLE;
        this.startFromIdle();
      }
      return;
    }
    const waitUs = this.sink.nextPlayTimeUs() - this.clock.nowUs();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.tryFinishDrain();
    }, Math.max(1, waitUs / 1000));
  }
}
