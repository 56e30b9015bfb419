// Reads the simulator's output from outside the process, as the simulator contract describes it: the
// WAV written with --audio is the output's timeline, and the `audio_out` events anchor it to the host's
// CLOCK_MONOTONIC (frame N of the file played at host_us + (N − wav_frame) / sample_rate). With the
// signal check (signal-check.ts) and the server's record of what it sent, every sample that played is
// placed in time and set against its timestamp on the server's clock.

import { readFileSync } from "node:fs";
import { parseWav } from "../../modules/audio/wav.js";
import type { ServerClock } from "../reference/clock.js";
import type { SentChunk } from "../reference/audio.js";
import { checkSignal, type SignalCheck } from "./signal-check.js";

export interface AudioOutAnchor {
  wav_frame: number;
  host_us: number;
  sample_rate: number;
}

export interface SimOutput {
  pcm: Uint8Array;
  frames: number;
  sampleRate: number;
  channels: number;
  frameBytes: number;
  anchors: AudioOutAnchor[];
}

export function readSimOutput(wavFile: string, events: readonly { event: string; [k: string]: unknown }[]): SimOutput {
  const wav = new Uint8Array(readFileSync(wavFile));
  const clip = parseWav(wav);
  if (!clip) throw new Error(`${wavFile}: not a WAV file`);
  const frameBytes = clip.channels * 2; // 16-bit (what parseWav reads)
  const anchors = events.filter((e) => e.event === "audio_out").map((e) => ({ wav_frame: e.wav_frame as number, host_us: e.host_us as number, sample_rate: e.sample_rate as number }));
  return { pcm: wav.subarray(clip.dataOffset, clip.dataOffset + clip.frames * frameBytes), frames: clip.frames, sampleRate: clip.sampleRate, channels: clip.channels, frameBytes, anchors };
}

/** Host µs at which WAV frame `n` played (NaN before the first anchor). */
export function playedAtHostUs(out: SimOutput, n: number): number {
  let a: AudioOutAnchor | undefined;
  for (const x of out.anchors) if (x.wav_frame <= n) a = x;
  return a ? a.host_us + ((n - a.wav_frame) * 1e6) / a.sample_rate : NaN;
}

/** Server timestamp (µs) of every frame of a stream sent from signal frame 0, from the sender's record. */
export function frameTimestamps(sent: readonly SentChunk[], rate: number): Float64Array {
  let total = 0;
  for (const c of sent) total += c.frames;
  const ts = new Float64Array(total);
  let i = 0;
  for (const c of sent) for (let k = 0; k < c.frames; k++) ts[i++] = c.timestampUs + (k * 1e6) / rate;
  return ts;
}

export interface Timed {
  check: SignalCheck;
  /** Per output frame: play time on the server clock − the frame's timestamp (µs); NaN for non-signal frames. */
  errorUs: Float64Array;
  /** Per output frame: play time on the server clock (µs). */
  serverUs: Float64Array;
}

/**
 * Output frames [from, to) against `signal`: where each signal frame played (server clock) and its
 * timing error against `timestamps` (server µs per signal frame).
 */
export function timeOutput(out: SimOutput, signal: Uint8Array, timestamps: Float64Array, server: ServerClock, from = 0, to = out.frames): Timed {
  const check = checkSignal(signal, out.pcm.subarray(from * out.frameBytes, to * out.frameBytes), out.frameBytes);
  const n = to - from;
  const errorUs = new Float64Array(n).fill(NaN);
  const serverUs = new Float64Array(n);
  let ai = -1;
  for (let k = 0; k < n; k++) {
    const frame = from + k;
    while (ai + 1 < out.anchors.length && out.anchors[ai + 1].wav_frame <= frame) ai++;
    const a = out.anchors[ai];
    const host = a ? a.host_us + ((frame - a.wav_frame) * 1e6) / a.sample_rate : NaN;
    serverUs[k] = server.atHostUs(host);
    const idx = check.indexOf[k];
    if (idx >= 0 && idx < timestamps.length) errorUs[k] = serverUs[k] - timestamps[idx];
  }
  return { check, errorUs, serverUs };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** |values| without NaNs, sorted. */
export function sortedAbs(values: ArrayLike<number>): Float64Array {
  const a: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) a.push(Math.abs(values[i]));
  return Float64Array.from(a).sort();
}
