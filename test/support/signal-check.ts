// The playback tests' test signal and its sample-exact check (pure ECMAScript: runs in XS too).
//
// The signal: a chirp sweeping up through the audio band over the whole signal plus seeded white noise,
// different on each channel, as 16-bit little-endian interleaved PCM. Nothing in it repeats, so a
// frame that is skipped, repeated, swapped between channels, altered or played out of place cannot go
// unnoticed (unlike a tone, which a skip of whole periods leaves intact).
//
// The check walks the output frame by frame against the signal: while each frame is the next frame of
// the signal it only counts; anything else is a discontinuity, recorded where it happens (output frame)
// and how large it is: frames of the signal skipped, frames repeated, zeros inserted, or frames that are
// in the signal nowhere (foreign). Each output frame's signal index is kept, so a caller that knows when
// each output frame played can compute every sample's timing error.

export interface Discontinuity {
  /** Output frame at which it shows. */
  at: number;
  kind: "skip" | "repeat" | "silence" | "foreign";
  /** Frames skipped / repeated / of zeros inserted / foreign. */
  frames: number;
  /** Signal index expected there (the one after the last matched frame). */
  expected: number;
}

export interface SignalCheck {
  /** Output frames examined. */
  frames: number;
  /** Zeros before the first signal frame. */
  leadingSilence: number;
  /** Zeros after the last signal frame. */
  trailingSilence: number;
  /** Output frames that are signal frames. */
  signalFrames: number;
  /** Signal index of the first and last signal frame in the output (−1: none). */
  firstIndex: number;
  lastIndex: number;
  skipped: number;
  repeated: number;
  silenceInserted: number;
  foreign: number;
  events: Discontinuity[];
  /** Per output frame: its signal index, or −1 (zeros or foreign). */
  indexOf: Int32Array;
}

/** Seeded xorshift32. */
function noise(state: Uint32Array): number {
  let x = state[0];
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state[0] = x;
  return (x | 0) / 2147483648;
}

/** `frames` frames of chirp + noise, 16-bit LE, `channels` channels. */
export function chirpNoise(frames: number, rate: number, channels: number, seed: number): Uint8Array {
  const out = new Uint8Array(frames * channels * 2);
  const st = new Uint32Array([seed >>> 0 || 1]);
  const f0 = 60, f1 = Math.min(12_000, rate * 0.4);
  const dur = frames / rate;
  const k = (f1 - f0) / dur;
  for (let i = 0; i < frames; i++) {
    const t = i / rate;
    const phase = 2 * Math.PI * (f0 * t + 0.5 * k * t * t);
    for (let c = 0; c < channels; c++) {
      let v = 9000 * Math.sin(phase + c * 1.7) + 3000 * noise(st);
      v = Math.round(v);
      if (v === 0) v = 1; // no all-zero frame: zeros in the output are the output's silence
      const o = (i * channels + c) * 2;
      out[o] = v & 255;
      out[o + 1] = (v >> 8) & 255;
    }
  }
  return out;
}

function sameFrame(a: Uint8Array, ao: number, b: Uint8Array, bo: number, fb: number): boolean {
  for (let k = 0; k < fb; k++) if (a[ao + k] !== b[bo + k]) return false;
  return true;
}

function zeroFrame(a: Uint8Array, o: number, fb: number): boolean {
  for (let k = 0; k < fb; k++) if (a[o + k] !== 0) return false;
  return true;
}

/** Where output frame `o` (and the `run` frames after it, as far as the output goes) is in the signal, searching near `near` first; −1 if nowhere. */
function locate(sig: Uint8Array, sigFrames: number, out: Uint8Array, outFrames: number, o: number, fb: number, near: number): number {
  const run = Math.min(4, outFrames - o);
  const matches = (j: number) => {
    if (j < 0 || j + run > sigFrames) return false;
    for (let r = 0; r < run; r++) if (!sameFrame(out, (o + r) * fb, sig, (j + r) * fb, fb)) return false;
    return true;
  };
  for (let d = 0; d <= 64; d++) {
    if (matches(near + d)) return near + d;
    if (d > 0 && matches(near - d)) return near - d;
  }
  for (let j = near + 65; j < sigFrames; j++) if (matches(j)) return j;
  for (let j = near - 65; j >= 0; j--) if (matches(j)) return j;
  return -1;
}

/** Compare `out` (whole frames of `frameBytes`) with `signal`, sample by sample. */
export function checkSignal(signal: Uint8Array, out: Uint8Array, frameBytes: number): SignalCheck {
  const fb = frameBytes;
  const sigFrames = Math.floor(signal.length / fb);
  const n = Math.floor(out.length / fb);
  const indexOf = new Int32Array(n);
  const events: Discontinuity[] = [];
  let prev = -1, leading = 0, zeros = 0, signalFrames = 0, skipped = 0, repeated = 0, inserted = 0, foreign = 0, firstIndex = -1;
  for (let o = 0; o < n; o++) {
    const next = prev + 1;
    if (prev >= 0 && next < sigFrames && sameFrame(out, o * fb, signal, next * fb, fb)) {
      if (zeros > 0) {
        events.push({ at: o - zeros, kind: "silence", frames: zeros, expected: next });
        inserted += zeros;
        zeros = 0;
      }
      indexOf[o] = prev = next;
      signalFrames++;
      continue;
    }
    if (zeroFrame(out, o * fb, fb)) {
      indexOf[o] = -1;
      if (prev < 0) leading++;
      else zeros++;
      continue;
    }
    const j = locate(signal, sigFrames, out, n, o, fb, next);
    if (j < 0) {
      indexOf[o] = -1;
      events.push({ at: o, kind: "foreign", frames: 1, expected: next });
      foreign++;
      continue;
    }
    if (prev < 0) firstIndex = j;
    else {
      if (zeros > 0) {
        events.push({ at: o - zeros, kind: "silence", frames: zeros, expected: next });
        inserted += zeros;
        zeros = 0;
      }
      if (j > next) {
        events.push({ at: o, kind: "skip", frames: j - next, expected: next });
        skipped += j - next;
      } else if (j < next) {
        events.push({ at: o, kind: "repeat", frames: next - j, expected: next });
        repeated += next - j;
      }
    }
    indexOf[o] = prev = j;
    signalFrames++;
  }
  return {
    frames: n, leadingSilence: leading, trailingSilence: zeros, signalFrames, firstIndex, lastIndex: prev,
    skipped, repeated, silenceInserted: inserted, foreign, events, indexOf,
  };
}

/** One line per discontinuity (at most `max`), for assertion messages. */
export function describeEvents(c: SignalCheck, max = 12): string {
  const shown = c.events.slice(0, max).map((e) => `${e.kind} ${e.frames} at output frame ${e.at} (signal frame ${e.expected})`);
  if (c.events.length > max) shown.push(`… ${c.events.length - max} more`);
  return shown.join("; ");
}
