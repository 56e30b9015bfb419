// PCM formats: which stream formats this speaker plays, and how. A stream format is playable when the
// sink takes it natively (the samples go to the sink byte for byte, no JavaScript touches them), or
// when it is 24-bit and the sink takes the same rate and channels in 16 bits: then each sample is
// truncated to its top 16 bits while the chunk is copied into the jitter buffer. That conversion is a
// per-sample JavaScript loop (its cost is measured by `npm run bench`, table "player hot path"), so
// a device advertises a 24-bit format only when its maker lists it in config.audioFormats.

import type { PcmFormat } from "../platform.js";

export interface PlayFormat {
  /** The stream's format (what the chunks carry). */
  readonly input: PcmFormat;
  /** The format the sink is opened with. */
  readonly output: PcmFormat;
  /** Bytes per frame in the stream and at the sink. */
  readonly inFrameBytes: number;
  readonly outFrameBytes: number;
  /** 24-bit → 16-bit truncation while copying into the jitter buffer. */
  readonly convert24to16: boolean;
}

export function frameBytes(f: PcmFormat): number {
  return f.channels * (f.bitsPerSample >> 3);
}

export function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
}

function findNative(native: readonly PcmFormat[], f: PcmFormat): PcmFormat | undefined {
  for (const n of native) if (sameFormat(n, f)) return n;
  return undefined;
}

/** How to play `f` on a sink taking `native`, or undefined when this speaker cannot play it. */
export function planFormat(native: readonly PcmFormat[], f: PcmFormat): PlayFormat | undefined {
  if (f.channels < 1 || f.channels > 2) return undefined;
  if (f.bitsPerSample !== 16 && f.bitsPerSample !== 24) return undefined;
  const direct = findNative(native, f);
  if (direct) {
    const fb = frameBytes(f);
    return { input: f, output: direct, inFrameBytes: fb, outFrameBytes: fb, convert24to16: false };
  }
  if (f.bitsPerSample === 24) {
    const out = findNative(native, { sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: 16 });
    if (out) return { input: f, output: out, inFrameBytes: frameBytes(f), outFrameBytes: frameBytes(out), convert24to16: true };
  }
  return undefined;
}

/**
 * Copy `frames` frames of 24-bit little-endian PCM from `src` (at `srcOff`) into `dst` (at `dstOff`) as
 * 16-bit little-endian, keeping each sample's top two bytes (truncation). Per-sample JavaScript: the
 * documented cost of advertising a 24-bit format on a 16-bit sink.
 */
export function convert24to16(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, samples: number): void {
  let s = srcOff | 0;
  let d = dstOff | 0;
  const end = (dstOff + samples * 2) | 0;
  while (d < end) {
    dst[d] = src[s + 1];
    dst[d + 1] = src[s + 2];
    s = (s + 3) | 0;
    d = (d + 2) | 0;
  }
}
