// A sink with no allocation of its own for benchmarks and long simulations (pure ECMAScript, runs in XS): it
// accepts 16-bit stereo blocks into a ring of frame counts and releases them (calling their done callbacks) as
// the clock passes their play time, on drain(). Moved here from the player's hot-path bench to serve the
// receive-path bench too.

import type { AudioSinkPort, ClockPort, PcmFormat } from "../../modules/platform.js";

/** A sink with no allocation of its own: a ring of frame counts, released as the loop's time passes. */
export class CountingSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[];
  onWritable: (() => void) | undefined;
  private readonly frames = new Int32Array(64);
  private readonly dones: ((() => void) | undefined)[] = [];
  private head = 0;
  private n = 0;
  private endUs = 0;
  private headEndUs = 0;
  writtenFrames = 0;
  checksum = 0;
  constructor(
    private readonly clock: ClockPort,
    private readonly rate = 48000,
  ) {
    this.nativeFormats = [{ sampleRate: rate, channels: 2, bitsPerSample: 16 }];
    for (let i = 0; i < 64; i++) this.dones.push(undefined);
  }
  open(): void {
    this.flush();
  }
  close(): void {
    this.flush();
  }
  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (this.n === 64) return false;
    const now = this.clock.nowUs();
    if (this.n === 0) this.endUs = this.headEndUs = now;
    this.frames[(this.head + this.n) % 64] = frames;
    this.dones[(this.head + this.n) % 64] = done;
    if (this.n === 0) this.headEndUs = this.endUs + (frames * 1e6) / this.rate;
    this.n++;
    this.endUs += (frames * 1e6) / this.rate;
    this.writtenFrames += frames;
    this.checksum = (this.checksum + buf[0] + buf[buf.length - 1]) | 0;
    return true;
  }
  /** Release what has played by now. */
  drain(): void {
    while (this.n > 0 && this.headEndUs <= this.clock.nowUs()) {
      const done = this.dones[this.head];
      this.dones[this.head] = undefined;
      this.head = (this.head + 1) % 64;
      this.n--;
      if (this.n > 0) this.headEndUs += (this.frames[this.head] * 1e6) / this.rate;
      done?.();
    }
  }
  queuedFrames(): number {
    return this.n === 0 ? 0 : Math.round(((this.endUs - this.clock.nowUs()) * this.rate) / 1e6);
  }
  nextPlayTimeUs(): number {
    return this.n === 0 || this.endUs < this.clock.nowUs() ? this.clock.nowUs() : this.endUs;
  }
  latencyUs(): number {
    return 0;
  }
  flush(): void {
    while (this.n > 0) {
      const done = this.dones[this.head];
      this.dones[this.head] = undefined;
      this.head = (this.head + 1) % 64;
      this.n--;
      done?.();
    }
  }
  setGain(): void {}
}
