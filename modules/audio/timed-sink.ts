// An audio sink that plays by the clock alone: each queued buffer "plays" at the time the playout model
// gives it, is handed to `onPlay` (the simulator writes it to a WAV file and the sound device), and is
// released once its last frame has played. The simulator's sink, and a real sink for tests driven by a
// manual clock.

import type { AudioSinkPort, ClockPort, PcmFormat, TimerHandle } from "../platform.js";
import { PlayoutQueue } from "./playout-queue.js";

export interface TimedSinkOptions {
  nativeFormats: readonly PcmFormat[];
  /** Most audio held ahead of now (ms). */
  capacityMs?: number;
  /** Modelled output latency (µs). */
  latencyUs?: number;
  /** How often queued buffers are checked (ms). */
  tickMs?: number;
  /** Receives each buffer's PCM when it starts playing (valid during the call only), with the gain in effect. */
  onPlay?: (pcm: Uint8Array, format: PcmFormat, gain: number) => void;
}

export class TimedSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[];
  onWritable: (() => void) | undefined = undefined;
  private readonly clock: ClockPort;
  private readonly queue: PlayoutQueue;
  private readonly tickMs: number;
  private readonly onPlay: TimedSinkOptions["onPlay"];
  private format: PcmFormat | null = null;
  private gain = 1;
  private timer: TimerHandle | undefined;
  private refused = false;
  /** Frames handed to onPlay since open (for tests and logs). */
  playedFrames = 0;

  constructor(clock: ClockPort, o: TimedSinkOptions) {
    this.clock = clock;
    this.nativeFormats = o.nativeFormats;
    this.tickMs = o.tickMs ?? 5;
    this.onPlay = o.onPlay;
    this.queue = new PlayoutQueue(clock, { capacityMs: o.capacityMs ?? 200, latencyUs: o.latencyUs ?? 10_000, maxItems: 64 });
  }

  currentFormat(): PcmFormat | null {
    return this.format;
  }

  open(format: PcmFormat): void {
    this.format = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
    this.queue.reset(format);
    this.playedFrames = 0;
    if (this.timer === undefined) this.timer = this.clock.setInterval(() => this.tick(), this.tickMs);
  }

  close(): void {
    this.queue.drop();
    this.format = null;
    this.clock.clear(this.timer);
    this.timer = undefined;
  }

  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (!this.format || !this.queue.push(buf, frames, done)) {
      this.refused = true;
      return false;
    }
    return true;
  }

  queuedFrames(): number {
    return this.format ? this.queue.queuedFrames() : 0;
  }

  nextPlayTimeUs(): number {
    return this.queue.nextPlayTimeUs();
  }

  latencyUs(): number {
    return this.queue.latencyUs;
  }

  /** Audio memory for the player: plain shared memory on the desktop. */
  allocate(bytes: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  flush(): void {
    this.queue.drop();
  }

  setGain(gain: number): void {
    this.gain = gain < 0 ? 0 : gain > 1 ? 1 : gain;
  }

  private tick(): void {
    const format = this.format;
    if (!format) return;
    const now = this.clock.nowUs();
    let released = false;
    for (;;) {
      const item = this.queue.head();
      if (!item || item.startUs > now) break;
      if (!item.emitted) {
        item.emitted = true;
        this.playedFrames += item.frames;
        this.onPlay?.(item.buf.subarray(0, item.end), format, this.gain);
        if (this.format !== format) return; // onPlay reopened or closed the sink
      }
      if (item.startUs + (item.frames * 1e6) / format.sampleRate > now) break;
      this.queue.release();
      released = true;
    }
    if (released && this.refused) {
      this.refused = false;
      this.onWritable?.();
    }
  }
}
