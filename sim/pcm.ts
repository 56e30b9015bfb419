// PCM conversion for the simulator's outputs (the WAV file keeps one format for its whole life; the
// sound device is opened once): channel mapping, sample width (16/24 bit) and rate (linear
// interpolation), plus the sink's gain. Desktop only: a per-sample loop is fine here.

import type { PcmFormat } from "../modules/platform.js";

function readSample(b: Uint8Array, o: number, bytes: number): number {
  if (bytes === 3) return ((b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) << 8) >> 8;
  return ((b[o] | (b[o + 1] << 8)) << 16) >> 16;
}

function writeSample(b: Uint8Array, o: number, bytes: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >> 8) & 255;
  if (bytes === 3) b[o + 2] = (v >> 16) & 255;
}

export function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
}

/**
 * Convert `pcm` (whole frames of `from`) to `to`, applying `gain` (0..1). Returns `pcm` itself when nothing
 * changes. `outFrames` (rate conversion) sets how many frames come out, so that a caller converting a
 * stream piece by piece keeps its total duration exact.
 */
export function convertPcm(pcm: Uint8Array, from: PcmFormat, to: PcmFormat, gain = 1, outFrames?: number): Uint8Array {
  if (gain >= 1 && sameFormat(from, to)) return pcm;
  const inBytes = from.bitsPerSample >> 3, outBytes = to.bitsPerSample >> 3;
  const inFrame = inBytes * from.channels, outFrame = outBytes * to.channels;
  const frames = Math.floor(pcm.length / inFrame);
  outFrames ??= from.sampleRate === to.sampleRate ? frames : Math.floor((frames * to.sampleRate) / from.sampleRate);
  const out = new Uint8Array(outFrames * outFrame);
  const shift = (outBytes - inBytes) * 8; // +8: 16→24 bit, −8: 24→16 bit
  const g = gain < 0 ? 0 : gain > 1 ? 1 : gain;
  const at = (frame: number, ch: number): number => {
    const c = from.channels === 1 ? 0 : to.channels === 1 ? -1 : ch;
    if (c >= 0) return readSample(pcm, frame * inFrame + c * inBytes, inBytes);
    return (readSample(pcm, frame * inFrame, inBytes) + readSample(pcm, frame * inFrame + inBytes, inBytes)) / 2;
  };
  for (let i = 0; i < outFrames; i++) {
    const pos = (i * from.sampleRate) / to.sampleRate;
    const i0 = Math.max(0, Math.min(Math.floor(pos), frames - 1));
    const i1 = Math.min(i0 + 1, frames - 1);
    const f = pos - i0;
    for (let c = 0; c < to.channels; c++) {
      let v = at(i0, c) + (at(i1, c) - at(i0, c)) * f;
      v = shift > 0 ? v * 256 : shift < 0 ? v / 256 : v;
      v = Math.round(v * g);
      writeSample(out, i * outFrame + c * outBytes, outBytes, v);
    }
  }
  return out;
}
