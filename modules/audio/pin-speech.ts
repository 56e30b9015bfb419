// Renders a PIN as speech: the bundled digit clips, one after the other with short pauses, converted on
// the fly to whatever PCM format the output is open in (rate by linear interpolation, mono/stereo, 16- or
// 24-bit). It writes into a caller-owned block, so speaking allocates nothing per block. This is the
// out-channel's slow path (a few seconds, rarely): a per-sample loop is fine here.

import type { PcmFormat } from "../platform.js";
import type { WavClip } from "./wav.js";

/** Something the audio arbiter can play: started with the output format, then pulled block by block. */
export interface PromptSource {
  start(format: PcmFormat): void;
  /** Write up to `maxFrames` frames into `dst` (interleaved LE PCM of the started format); 0 = finished. */
  render(dst: Uint8Array, maxFrames: number): number;
}

/** The clip for a digit 0–9 (undefined: no clip, the digit is skipped with a pause). */
export type DigitClips = (digit: number) => WavClip | undefined;

const LEAD_IN_MS = 300;
const GAP_MS = 250;
const TAIL_MS = 200;
const FRAC_BITS = 15; // interpolation fraction: (s1 - s0) * frac stays within int32

type Segment = WavClip | number; // a clip, or a pause in milliseconds

export class PinSpeech implements PromptSource {
  private readonly clips: DigitClips;
  private segments: Segment[] = [];
  private seg = 0;
  private rate = 48000;
  private channels = 2;
  private bytesPerSample = 2;
  // position in the current segment
  private silenceLeft = 0;
  private srcIndex = 0;
  private srcFrac = 0;
  private step = 0;
  private entered = false;

  constructor(clips: DigitClips) {
    this.clips = clips;
  }

  /** Queue a PIN (digits only; other characters are ignored). Call start() before rendering. */
  setPin(pin: string): void {
    const segs: Segment[] = [LEAD_IN_MS];
    for (let i = 0; i < pin.length; i++) {
      const d = pin.charCodeAt(i) - 48;
      if (d < 0 || d > 9) continue;
      const clip = this.clips(d);
      if (clip) segs.push(clip);
      segs.push(GAP_MS);
    }
    segs.push(TAIL_MS);
    this.segments = segs;
    this.seg = 0;
    this.entered = false;
  }

  start(format: PcmFormat): void {
    this.rate = format.sampleRate;
    this.channels = format.channels;
    this.bytesPerSample = format.bitsPerSample === 24 ? 3 : 2;
    this.seg = 0;
    this.entered = false;
  }

  render(dst: Uint8Array, maxFrames: number): number {
    const bps = this.bytesPerSample;
    const ch = this.channels;
    let frames = 0;
    let p = 0;
    while (frames < maxFrames && this.seg < this.segments.length) {
      const s = this.segments[this.seg];
      if (!this.entered) this.enter(s);
      if (typeof s === "number") {
        const n = Math.min(this.silenceLeft, maxFrames - frames);
        const bytes = n * ch * bps;
        dst.fill(0, p, p + bytes);
        p += bytes;
        frames += n;
        this.silenceLeft -= n;
        if (this.silenceLeft === 0) this.next();
        continue;
      }
      // clip: interpolate between source frames srcIndex and srcIndex + 1
      const data = s.bytes;
      const base = s.dataOffset;
      const last = s.frames - 1;
      const sch = s.channels;
      while (frames < maxFrames && this.srcIndex <= last) {
        const i0 = this.srcIndex;
        const i1 = i0 < last ? i0 + 1 : i0;
        for (let c = 0; c < ch; c++) {
          let a: number, b: number;
          if (sch === 1) {
            a = sampleAt(data, base + i0 * 2);
            b = sampleAt(data, base + i1 * 2);
          } else if (ch === 1) {
            a = (sampleAt(data, base + i0 * 4) + sampleAt(data, base + i0 * 4 + 2)) >> 1;
            b = (sampleAt(data, base + i1 * 4) + sampleAt(data, base + i1 * 4 + 2)) >> 1;
          } else {
            a = sampleAt(data, base + i0 * 4 + c * 2);
            b = sampleAt(data, base + i1 * 4 + c * 2);
          }
          const v = a + (((b - a) * this.srcFrac) >> FRAC_BITS);
          if (bps === 3) {
            dst[p++] = 0;
            dst[p++] = v & 255;
            dst[p++] = (v >> 8) & 255;
          } else {
            dst[p++] = v & 255;
            dst[p++] = (v >> 8) & 255;
          }
        }
        frames++;
        const f = this.srcFrac + this.step;
        this.srcIndex += f >> FRAC_BITS;
        this.srcFrac = f & ((1 << FRAC_BITS) - 1);
      }
      if (this.srcIndex > last) this.next();
    }
    return frames;
  }

  private enter(s: Segment): void {
    this.entered = true;
    if (typeof s === "number") {
      this.silenceLeft = Math.max(1, Math.round((s * this.rate) / 1000));
    } else {
      this.srcIndex = 0;
      this.srcFrac = 0;
      this.step = Math.max(1, Math.round((s.sampleRate * (1 << FRAC_BITS)) / this.rate));
    }
  }

  private next(): void {
    this.seg++;
    this.entered = false;
  }
}

function sampleAt(b: Uint8Array, o: number): number {
  return ((b[o] | (b[o + 1] << 8)) << 16) >> 16;
}
