// The bookkeeping of the device's I2S sink (drivers/audio-out.ts; the clock-timed sink, timed-sink.ts,
// is a DAC model of its own): a bounded ring of caller-owned PCM buffers, each released through its
// `done` callback once the output has taken it, and the playout timing model behind
// AudioSinkPort.queuedFrames/nextPlayTimeUs.
//
// Timing model: the output plays queued frames back to back at the nominal sample rate. Frames queued
// while the output is still playing follow the last queued frame without a gap, however little is left
// (a DAC fed in time never pauses); frames queued into a dry output start `latencyUs` after now (the
// hardware pipeline), as after an underrun. On the ESP32 the I2S clock and the µs timer come from the same crystal,
// so the model tracks the hardware without feedback; Moddable's desktop simulator with no sound device plays
// its queue by this model too.
// Item records are preallocated: queuing a buffer allocates nothing.

import type { ClockPort, PcmFormat } from "../platform.js";

export class QueueItem {
  buf: Uint8Array = EMPTY;
  /** Bytes of `buf` already taken by the output. */
  off = 0;
  /** End of this item's bytes in `buf` (frames × frame size). */
  end = 0;
  frames = 0;
  /** Model time (clock µs) at which the first frame plays. */
  startUs = 0;
  /** Free for the consumer's own use (the simulator marks items it has emitted). */
  emitted = false;
  done: (() => void) | undefined = undefined;
}

const EMPTY = new Uint8Array(0);

export interface PlayoutOptions {
  /** Most audio the sink holds (model time ahead of now), in milliseconds. */
  capacityMs: number;
  /** Pipeline delay between queuing and the first frame playing, in µs. */
  latencyUs: number;
  /** Most buffers held at once. */
  maxItems: number;
}

export class PlayoutQueue {
  private readonly clock: ClockPort;
  private readonly ring: QueueItem[];
  private first = 0;
  private count = 0;
  private endUs = 0;
  private rate = 48000;
  private capacityUs: number;
  readonly latencyUs: number;
  frameBytes = 4;

  constructor(clock: ClockPort, o: PlayoutOptions) {
    this.clock = clock;
    this.capacityUs = o.capacityMs * 1000;
    this.latencyUs = o.latencyUs;
    this.ring = [];
    for (let i = 0; i < o.maxItems; i++) this.ring.push(new QueueItem());
  }

  /** Set the format of what follows; drops everything queued (their `done` callbacks run). */
  reset(format: PcmFormat): void {
    this.drop();
    this.rate = format.sampleRate;
    this.frameBytes = format.channels * (format.bitsPerSample >> 3);
  }

  /** Queue `frames` frames of `buf`; false (nothing queued) when the sink is full. */
  push(buf: Uint8Array, frames: number, done?: () => void): boolean {
    const bytes = frames * this.frameBytes;
    if (frames <= 0 || bytes > buf.length) return false;
    const now = this.clock.nowUs();
    const start = this.endUs > now ? this.endUs : now + this.latencyUs;
    const durUs = (frames * 1e6) / this.rate;
    if (this.count === this.ring.length) return false;
    // Always accept into an empty sink (a buffer longer than the capacity would otherwise never fit).
    if (this.count > 0 && start + durUs - now > this.capacityUs + this.latencyUs) return false;
    const item = this.ring[(this.first + this.count) % this.ring.length];
    item.buf = buf;
    item.off = 0;
    item.end = bytes;
    item.frames = frames;
    item.startUs = start;
    item.emitted = false;
    item.done = done;
    this.count++;
    this.endUs = start + durUs;
    return true;
  }

  /** The oldest buffer the output has not finished taking. */
  head(): QueueItem | undefined {
    return this.count > 0 ? this.ring[this.first] : undefined;
  }

  /** The output took `bytes` more of the head buffer; a finished buffer is released (done). */
  consume(bytes: number): void {
    const item = this.head();
    if (!item) return;
    item.off += bytes;
    if (item.off >= item.end) this.release();
  }

  /** Release the head buffer whole. */
  release(): void {
    const item = this.head();
    if (!item) return;
    const done = item.done;
    item.buf = EMPTY;
    item.done = undefined;
    this.first = (this.first + 1) % this.ring.length;
    this.count--;
    if (done) done();
  }

  /** Drop everything queued; each dropped buffer's `done` runs (the caller may reuse it). */
  drop(): void {
    while (this.count > 0) this.release();
    this.endUs = 0;
  }

  items(): number {
    return this.count;
  }

  /** Frames queued and not yet played, by the model. */
  queuedFrames(): number {
    const ahead = this.endUs - this.clock.nowUs();
    return ahead > 0 ? Math.round((ahead * this.rate) / 1e6) : 0;
  }

  /** Model time at which the next queued frame would start playing. */
  nextPlayTimeUs(): number {
    const now = this.clock.nowUs();
    return this.endUs > now ? this.endUs : now + this.latencyUs;
  }
}
