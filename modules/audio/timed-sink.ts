// An audio sink that plays by the clock alone: a model of a DAC clocked by the ClockPort's clock. The
// simulator's sink (its output goes to a WAV file and the sound device), the device driver's fallback
// when it has no audio hardware, and a real sink for tests driven by a manual clock.
//
// The model. Once started, the DAC plays one frame every 1/rate s of the clock, without pause: frame n
// of a run leaves the DAC at anchorUs + n / rate. Written buffers play back to back from where the
// previous one ended as long as that point is still ahead of the DAC (gapless however little is
// queued: a JavaScript stall shorter than what is queued costs nothing). A buffer written after the
// queue ran dry starts `latencyUs` after now, on the DAC's frame grid, and the frames the DAC played in
// between are zeros (an underrun). A DAC that stays dry for `idleStopMs` stops; the next write starts a
// new run (a new anchor, reported through `onAnchor`). open/close stop it.
//
// Output is emitted in play order through `onPlay` (PCM frames whose time has come) and `onSilence`
// (zeros the DAC played), from a timer: late after a stall, but always the exact sequence of frames of
// the run, so a recording of it is the output's timeline (frame n at anchorUs + n / rate). A buffer is
// released (`done`) once its last frame has played. A flush keeps what has played and drops the rest.

import type { AudioSinkPort, ClockPort, PcmFormat, TimerHandle } from "../platform.js";

export interface TimedSinkOptions {
  nativeFormats: readonly PcmFormat[];
  /** Most audio held ahead of the DAC (ms). */
  capacityMs?: number;
  /** Delay from a write into a dry (or stopped) DAC to its first frame (µs). */
  latencyUs?: number;
  /** How often the model emits played frames and releases buffers (ms). */
  tickMs?: number;
  /** A DAC dry for this long stops (ms); the next write starts a new run. */
  idleStopMs?: number;
  /** Receives played PCM frames in order (valid during the call only), with the gain in effect. */
  onPlay?: (pcm: Uint8Array, format: PcmFormat, gain: number) => void;
  /** `frames` frames of zeros played (before a buffer, during an underrun, before a stop). */
  onSilence?: (frames: number, format: PcmFormat) => void;
  /** A run starts: its frame 0 plays at `anchorUs` (clock µs, fractional). Emitted before the run's first frame. */
  onAnchor?: (anchorUs: number, format: PcmFormat) => void;
}

/** A queued buffer (records preallocated: writing allocates nothing). */
class Slot {
  buf: Uint8Array = EMPTY;
  frames = 0;
  /** Frame index of the run at which it starts. */
  start = 0;
  done: (() => void) | undefined = undefined;
}

const EMPTY = new Uint8Array(0);
const MAX_ITEMS = 64;

export class TimedSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[];
  onWritable: (() => void) | undefined = undefined;
  private readonly clock: ClockPort;
  private readonly tickMs: number;
  private readonly latency: number;
  private readonly capacityUs: number;
  private readonly idleStopUs: number;
  private readonly o: TimedSinkOptions;
  private readonly ring: Slot[] = [];
  private first = 0;
  private count = 0;
  private format: PcmFormat | null = null;
  private frameUs = 0;
  private gain = 1;
  private timer: TimerHandle | undefined;
  private refused = false;
  /** The DAC is running (has an anchor). */
  private running = false;
  private anchorUs = 0;
  /** Frames of the run emitted (onPlay/onSilence) so far. */
  private emittedTo = 0;
  /** Frame index at which the next written buffer would start if the DAC has not run dry. */
  private writeTo = 0;
  private anchorPending = false;
  /** Flushed: the next write starts after the latency even if the DAC is still inside the last buffer. */
  private dry = false;
  /** What nextPlayTimeUs() last answered for a stopped DAC (µs) or a dry one (frame). */
  private promisedUs = NaN;
  private promisedFrame = -1;
  /** Frames handed to onPlay since open (for tests and logs). */
  playedFrames = 0;
  /** Frames of zeros the DAC played between buffers of a run since open (underruns, flushes). */
  silentFrames = 0;

  constructor(clock: ClockPort, o: TimedSinkOptions) {
    this.clock = clock;
    this.o = o;
    this.nativeFormats = o.nativeFormats;
    this.tickMs = o.tickMs ?? 5;
    this.latency = o.latencyUs ?? 10_000;
    this.capacityUs = (o.capacityMs ?? 200) * 1000;
    this.idleStopUs = (o.idleStopMs ?? 1000) * 1000;
    for (let i = 0; i < MAX_ITEMS; i++) this.ring.push(new Slot());
  }

  currentFormat(): PcmFormat | null {
    return this.format;
  }

  open(format: PcmFormat): void {
    this.stop();
    this.format = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
    this.frameUs = 1e6 / format.sampleRate;
    this.playedFrames = 0;
    this.silentFrames = 0;
    if (this.timer === undefined) this.timer = this.clock.setInterval(() => this.tick(), this.tickMs);
  }

  close(): void {
    this.stop();
    this.format = null;
    this.clock.clear(this.timer);
    this.timer = undefined;
  }

  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    const f = this.format;
    if (!f || frames <= 0 || frames * ((f.channels * f.bitsPerSample) >> 3) > buf.length || this.count === MAX_ITEMS) {
      this.refused = true;
      return false;
    }
    const now = this.clock.nowUs();
    let start: number;
    if (!this.running) {
      this.running = true;
      this.anchorPending = true;
      // The time nextPlayTimeUs() promised, if it is still ahead (the caller computed its timing from it).
      this.anchorUs = this.promisedUs > now ? this.promisedUs : now + this.latency;
      this.emittedTo = 0;
      start = 0;
    } else {
      start = this.startFrame(now);
      if (this.count > 0 && (start + frames) * this.frameUs - (now - this.anchorUs) > this.capacityUs + this.latency) {
        this.refused = true;
        return false;
      }
    }
    const s = this.ring[(this.first + this.count) % MAX_ITEMS];
    s.buf = buf;
    s.frames = frames;
    s.start = start;
    s.done = done;
    this.count++;
    this.writeTo = start + frames;
    this.dry = false;
    this.promisedUs = NaN;
    this.promisedFrame = -1;
    return true;
  }

  /** Frame of the running DAC at which a buffer written now starts: gapless unless the queue ran dry. */
  private startFrame(now: number): number {
    const pos = (now - this.anchorUs) / this.frameUs;
    if (!this.dry && this.writeTo > pos) return this.writeTo;
    if (this.promisedFrame > pos && this.promisedFrame >= this.writeTo) return this.promisedFrame;
    const after = Math.ceil(pos + this.latency / this.frameUs);
    return after > this.writeTo ? after : this.writeTo;
  }

  queuedFrames(): number {
    if (!this.format || !this.running) return 0;
    // Frames whose first sample has not left the DAC yet.
    const ahead = this.writeTo - Math.floor((this.clock.nowUs() - this.anchorUs) / this.frameUs) - 1;
    return ahead > 0 ? ahead : 0;
  }

  nextPlayTimeUs(): number {
    const now = this.clock.nowUs();
    // Into a dry or stopped DAC, the next write starts at the time given here as long as that time is
    // still ahead when it comes: what the caller computes from the answer holds.
    if (!this.running) return (this.promisedUs = now + this.latency);
    const start = this.startFrame(now);
    if (start !== this.writeTo || this.dry) this.promisedFrame = start;
    return this.anchorUs + start * this.frameUs;
  }

  latencyUs(): number {
    return this.latency;
  }

  /** Audio memory for the player: plain shared memory on the desktop. */
  allocate(bytes: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  /** Drop what is queued; the DAC plays zeros from now (and stops after idleStopMs). */
  flush(): void {
    if (!this.format) return;
    this.emitUntil(this.clock.nowUs());
    // What has left the DAC by now stays; nothing queued after it plays. The next write starts after
    // the latency, as into a dry queue.
    if (this.running && this.writeTo > this.emittedTo) this.writeTo = this.emittedTo;
    this.dry = true;
    this.promisedFrame = -1;
    this.releaseAll();
  }

  setGain(gain: number): void {
    this.gain = gain < 0 ? 0 : gain > 1 ? 1 : gain;
  }

  /** Stop the DAC: emit what has played up to now, drop the rest. */
  private stop(): void {
    if (this.format && this.running) this.emitUntil(this.clock.nowUs());
    this.releaseAll();
    this.running = false;
    this.dry = false;
    this.promisedUs = NaN;
    this.promisedFrame = -1;
  }

  private releaseAll(): void {
    while (this.count > 0) this.release();
  }

  private release(): void {
    const s = this.ring[this.first];
    const done = s.done;
    s.buf = EMPTY;
    s.done = undefined;
    this.first = (this.first + 1) % MAX_ITEMS;
    this.count--;
    if (done) done();
  }

  /** Emit, in order, every frame of the run whose time has come by `now` (its first sample has left the DAC). */
  private emitUntil(now: number): void {
    const f = this.format;
    if (!f || !this.running) return;
    const pos = (now - this.anchorUs) / this.frameUs;
    if (pos < 0) return;
    const to = Math.floor(pos) + 1;
    if (this.anchorPending) {
      this.anchorPending = false;
      this.o.onAnchor?.(this.anchorUs, f);
    }
    const fb = (f.channels * f.bitsPerSample) >> 3;
    for (let i = 0; i < this.count && this.emittedTo < to; i++) {
      const s = this.ring[(this.first + i) % MAX_ITEMS];
      const end = s.start + s.frames;
      if (end <= this.emittedTo) continue;
      if (this.emittedTo < s.start) this.silence((s.start < to ? s.start : to) - this.emittedTo, f);
      if (this.emittedTo < s.start) return;
      const upto = end < to ? end : to;
      const from = this.emittedTo - s.start;
      this.emittedTo = upto;
      this.playedFrames += upto - s.start - from;
      this.o.onPlay?.(s.buf.subarray(from * fb, (upto - s.start) * fb), f, this.gain);
      if (this.format !== f) return; // the listener re-opened or closed the sink
    }
    if (this.emittedTo >= to) return;
    // Dry: zeros up to now, or up to the stop.
    const stopAt = this.writeTo + Math.ceil(this.idleStopUs / this.frameUs);
    const until = to < stopAt ? to : stopAt;
    if (until > this.emittedTo) this.silence(until - this.emittedTo, f);
    if (to >= stopAt) {
      this.running = false;
      this.releaseAll();
    }
  }

  private silence(frames: number, f: PcmFormat): void {
    this.emittedTo += frames;
    this.silentFrames += frames;
    this.o.onSilence?.(frames, f);
  }

  private tick(): void {
    if (!this.format) return;
    const now = this.clock.nowUs();
    this.emitUntil(now);
    if (!this.format) return;
    const pos = (now - this.anchorUs) / this.frameUs;
    let released = false;
    while (this.count > 0) {
      const s = this.ring[this.first];
      if (s.start + s.frames > pos) break;
      this.release();
      released = true;
    }
    if (released && this.refused) {
      this.refused = false;
      this.onWritable?.();
    }
  }
}
