// A test AudioSinkPort (pure ECMAScript, runs in XS): a DAC simulated on a ClockPort that records every
// frame it outputs with its local play time. It keeps the port's contract strictly (modules/platform.ts):
// buffers play back to back from the first write (after `latencyUs` when idle), are released (`done`) in
// order when their last frame has played (from a timer, never inside write), flush/open/close drop and
// release what is queued, and the DAC may run at a rate off its nominal one by `ppm` (measured against
// the clock), which nextPlayTimeUs reflects. It also checks that the player never modifies a buffer it
// has handed over.

import type { AudioSinkPort, ClockPort, PcmFormat, TimerHandle } from "../../modules/platform.js";

export interface PlayedSegment {
  /** Local time (µs, fractional) at which the first frame left the DAC. */
  startUs: number;
  /** Duration of one frame in local µs (the DAC's true rate). */
  frameUs: number;
  frames: number;
  /** The frames' bytes (a copy), when the sink keeps samples. */
  data?: Uint8Array;
  format: PcmFormat;
}

export interface RecordingSinkOptions {
  nativeFormats: PcmFormat[];
  /** Output latency of the idle sink (µs). */
  latencyUs: number;
  /** DAC rate error: a frame lasts (1e6 / rate) × (1 + ppm·1e-6) local µs. */
  ppm: number;
  /** Keep a copy of every played frame (tests); benchmarks pass false and use onPlayed. */
  keepSamples: boolean;
  /** Called as each buffer (or the played part of a flushed one) finishes, before its release. */
  onPlayed?: (buf: Uint8Array, frames: number, startUs: number, frameUs: number) => void;
  /** Buffers the sink accepts at once. */
  maxQueued: number;
}

export const DEFAULT_SINK_FORMATS: PcmFormat[] = [
  { sampleRate: 48000, channels: 2, bitsPerSample: 16 },
  { sampleRate: 44100, channels: 2, bitsPerSample: 16 },
  { sampleRate: 48000, channels: 1, bitsPerSample: 16 },
  { sampleRate: 96000, channels: 2, bitsPerSample: 16 },
];

interface Queued {
  buf: Uint8Array;
  done: (() => void) | undefined;
  frames: number;
  startUs: number;
  copy: Uint8Array | undefined;
}

export class RecordingSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[];
  onWritable: (() => void) | undefined;
  readonly o: RecordingSinkOptions;

  format: PcmFormat | undefined;
  readonly segments: PlayedSegment[] = [];
  readonly gains: { atUs: number; gain: number }[] = [];
  readonly events: string[] = [];
  opens = 0;
  flushes = 0;
  writes = 0;
  allocations = 0;
  /** Buffers modified by the player while the sink owned them (must stay 0). */
  ownershipViolations = 0;
  /** Times the DAC ran dry between writes while open (the output had a gap). */
  gaps = 0;

  private queue: Queued[] = [];
  private fb = 0;
  private frameUs = 0;
  private anchorUs = 0;
  private anchorFrames = 0; // frames queued since the anchor
  private timer: TimerHandle | undefined;
  private everWritten = false;
  private refused = false;

  constructor(
    private readonly clock: ClockPort,
    options: Partial<RecordingSinkOptions> = {},
  ) {
    this.o = { nativeFormats: DEFAULT_SINK_FORMATS, latencyUs: 0, ppm: 0, keepSamples: true, maxQueued: 64, ...options };
    this.nativeFormats = this.o.nativeFormats;
  }

  allocate(bytes: number): Uint8Array {
    this.allocations++;
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  open(format: PcmFormat): void {
    if (!this.nativeFormats.some((f) => f.sampleRate === format.sampleRate && f.channels === format.channels && f.bitsPerSample === format.bitsPerSample)) {
      throw new Error(`sink: format ${format.sampleRate}/${format.bitsPerSample}/${format.channels} not supported`);
    }
    this.drop();
    this.format = { ...format };
    this.fb = format.channels * (format.bitsPerSample >> 3);
    this.frameUs = (1e6 / format.sampleRate) * (1 + this.o.ppm * 1e-6);
    this.opens++;
    this.everWritten = false;
    this.events.push(`open ${format.sampleRate}/${format.bitsPerSample}/${format.channels}`);
  }

  close(): void {
    this.drop();
    this.format = undefined;
    this.events.push("close");
  }

  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (!this.format) throw new Error("sink: write while closed");
    if (!(frames > 0) || frames * this.fb > buf.length || !Number.isInteger(frames)) throw new Error("sink: bad frame count");
    if (this.queue.length >= this.o.maxQueued) {
      this.refused = true;
      return false;
    }
    const now = this.clock.nowUs();
    const end = this.endUs();
    let start: number;
    if (end > now) start = end;
    else {
      if (this.everWritten) this.gaps++;
      this.anchorUs = now + this.o.latencyUs;
      this.anchorFrames = 0;
      start = this.anchorUs;
    }
    this.everWritten = true;
    this.anchorFrames += frames;
    this.writes++;
    this.queue.push({ buf, done, frames, startUs: start, copy: this.o.keepSamples ? buf.slice(0, frames * this.fb) : undefined });
    this.arm();
    return true;
  }

  queuedFrames(): number {
    const now = this.clock.nowUs();
    const end = this.endUs();
    return end > now ? Math.ceil((end - now) / this.frameUs - 1e-9) : 0;
  }

  nextPlayTimeUs(): number {
    const now = this.clock.nowUs();
    const end = this.endUs();
    return end > now ? end : now + this.o.latencyUs;
  }

  latencyUs(): number {
    return this.o.latencyUs;
  }

  flush(): void {
    this.drop();
    this.flushes++;
    this.events.push("flush");
  }

  setGain(gain: number): void {
    if (!(gain >= 0 && gain <= 1)) throw new Error("sink: gain out of range");
    this.gains.push({ atUs: this.clock.nowUs(), gain });
  }

  /** Every kept frame, concatenated (tests). */
  playedBytes(): Uint8Array {
    let n = 0;
    for (const s of this.segments) n += s.data ? s.data.length : 0;
    const out = new Uint8Array(n);
    let o = 0;
    for (const s of this.segments) if (s.data) (out.set(s.data, o), (o += s.data.length));
    return out;
  }

  playedFrames(): number {
    let n = 0;
    for (const s of this.segments) n += s.frames;
    return n;
  }

  private endUs(): number {
    return this.queue.length ? this.anchorUs + this.anchorFrames * this.frameUs : -Infinity;
  }

  /** Drop the queue, recording the part of the head that already played. */
  private drop(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.process();
    const now = this.clock.nowUs();
    const head = this.queue[0];
    if (head && head.startUs < now) {
      const played = Math.min(head.frames, Math.floor((now - head.startUs) / this.frameUs));
      if (played > 0) this.record(head, played);
    }
    const dropped = this.queue;
    this.queue = [];
    this.anchorFrames = 0;
    for (const q of dropped) q.done?.();
  }

  private record(q: Queued, frames: number): void {
    const bytes = frames * this.fb;
    const data = q.buf.subarray(0, bytes);
    if (q.copy) {
      for (let i = 0; i < bytes; i++) {
        if (data[i] !== q.copy[i]) {
          this.ownershipViolations++;
          break;
        }
      }
    }
    this.o.onPlayed?.(data, frames, q.startUs, this.frameUs);
    this.segments.push({ startUs: q.startUs, frameUs: this.frameUs, frames, data: this.o.keepSamples ? data.slice() : undefined, format: this.format! });
  }

  /** Release every buffer whose last frame has played. */
  private process(): void {
    const now = this.clock.nowUs();
    while (this.queue.length) {
      const q = this.queue[0];
      if (q.startUs + q.frames * this.frameUs > now + 1e-6) break;
      this.queue.shift();
      this.record(q, q.frames);
      q.done?.();
    }
    if (this.refused && this.queue.length < this.o.maxQueued) {
      this.refused = false;
      this.onWritable?.();
    }
  }

  private arm(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    const q = this.queue[0];
    if (!q) return;
    const endUs = q.startUs + q.frames * this.frameUs;
    const waitUs = Math.max(0, Math.ceil(endUs - this.clock.nowUs()));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.process();
      this.arm();
    }, waitUs / 1000);
  }
}
