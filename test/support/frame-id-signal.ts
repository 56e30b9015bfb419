// A non-periodic test signal in which every stereo 16-bit frame names itself, and the count of what came out.
// Frame i: left = i & 0xffff, right = ((i >> 16) + 1) | (check(i) << 6), with a 10-bit check of i. A frame is
// recognised exactly, silence (0/0) is recognisable, and any altered sample shows as foreign.

const check = (i: number) => (Math.imul(i, 0x9e3779b1) >>> 22) & 0x3ff;

/** The signal frame a non-silent frame (left sample `lo`, right sample `r`, both unsigned) names, or −1: foreign. */
export function frameIdOf(lo: number, r: number): number {
  const idx = lo + ((r & 63) - 1) * 65536;
  return (r & 63) === 0 || r >> 6 !== check(idx) ? -1 : idx;
}

/** `frames` frames of the signal, starting at frame 0 (interleaved little-endian, 4 bytes per frame). */
export function frameIdSignal(frames: number): Uint8Array {
  const pcm = new Uint8Array(frames * 4);
  for (let i = 0; i < frames; i++) {
    const r = ((i >> 16) + 1) | (check(i) << 6);
    pcm[i * 4] = i & 255;
    pcm[i * 4 + 1] = (i >> 8) & 255;
    pcm[i * 4 + 2] = r & 255;
    pcm[i * 4 + 3] = r >> 8;
  }
  return pcm;
}

export interface Discontinuity {
  /** Output frame at which it shows. */
  at: number;
  /** Signal frame expected there. */
  expected: number;
  /** Signal frame found (after `silence` frames of zeros). */
  found: number;
  silence: number;
}

export interface OutputCount {
  /** Frames in the output. */
  frames: number;
  /** Signal frames that came out (a repeated one counts each time). */
  played: number;
  /** Zero frames before the first signal frame, after the last, and in between. */
  leadingSilence: number;
  trailingSilence: number;
  innerSilence: number;
  /** Frames that are neither silence nor a signal frame (altered samples). */
  foreign: number;
  /** Signal frames that never came out between the first and the last played (jumps forward). */
  skipped: number;
  /** Signal frames that came out again (jumps back). */
  repeated: number;
  /** First and last signal frame that came out (−1: none). */
  first: number;
  last: number;
  /** Every place where the next frame out is not the next frame of the signal (silence between included). */
  discontinuities: Discontinuity[];
}

/** Count, frame by frame, what an output (raw interleaved 16-bit stereo) holds of the signal. */
export function countOutput(out: Uint8Array): OutputCount {
  const n = Math.floor(out.length / 4);
  const c: OutputCount = { frames: n, played: 0, leadingSilence: 0, trailingSilence: 0, innerSilence: 0, foreign: 0, skipped: 0, repeated: 0, first: -1, last: -1, discontinuities: [] };
  let prev = -1;
  let silenceRun = 0;
  for (let f = 0; f < n; f++) {
    const o = f * 4;
    const lo = out[o] | (out[o + 1] << 8);
    const r = out[o + 2] | (out[o + 3] << 8);
    if (lo === 0 && r === 0) {
      silenceRun++;
      continue;
    }
    const idx = frameIdOf(lo, r);
    if (idx < 0) {
      c.foreign++;
      continue;
    }
    if (prev < 0) {
      c.first = idx;
      c.leadingSilence = silenceRun;
    } else {
      c.innerSilence += silenceRun;
      if (idx !== prev + 1 || silenceRun > 0) c.discontinuities.push({ at: f, expected: prev + 1, found: idx, silence: silenceRun });
      if (idx > prev + 1) c.skipped += idx - prev - 1;
      else if (idx <= prev) c.repeated += prev - idx + 1;
    }
    silenceRun = 0;
    prev = idx;
    c.played++;
  }
  c.trailingSilence = silenceRun;
  c.last = prev;
  return c;
}
