// The simulator's audio output: a DAC model clocked by the speaker's clock (modules/audio/timed-sink.ts).
// What it plays — the stream's frames and the zeros it plays when it has none (before a stream's first
// frame, during an underrun, after a stream/clear) — goes, frame for frame, to the WAV file given with
// --audio (in the format of the first stream opened; later streams are converted to it) and to the
// sound device through `aplay` when one is available (ALSA's player; its absence or failure is logged
// once and never stops the simulator). Set SENDSPIN_SIM_SOUND=0 to keep the sound device out (the tests do).
//
// The WAV is the output's timeline: each time the DAC starts a run (first write, re-open, a write after
// it stopped when idle), an `audio_out` event gives the WAV frame at which the run starts and the host
// CLOCK_MONOTONIC µs at which that frame played; frame N of the run played at
// host_us + (N − wav_frame) / sample_rate s, sample_rate being the frames per second of host time (the
// WAV's rate × (1 + clock ppm · 10⁻⁶)).
//
// Queue depth. A desktop process can be descheduled for tens of milliseconds; the DAC model keeps playing
// through any stall shorter than what is queued at it, so the player keeps DESKTOP_OUTPUT_MS queued here
// (see sim/main.ts), more than the device's DMA ring.

import { spawn, type ChildProcess } from "node:child_process";
import type { ClockPort, LogPort, PcmFormat } from "../modules/platform.js";
import { TimedSink } from "../modules/audio/timed-sink.js";

/** The speaker's clock, with its relation to the host's (SimClock); a plain ClockPort is taken as the host's. */
export type OutputClock = ClockPort & { hostUsOf?(localUs: number): number; readonly rate?: number };
import { convertPcm, sameFormat } from "./pcm.js";
import { WavWriter } from "./wav-writer.js";

/** Audio the player keeps queued at the simulator's output (ms): rides through host stalls this long. */
export const DESKTOP_OUTPUT_MS = 500;
/** Delay from a write into a dry DAC to its first frame (µs). */
const DAC_LATENCY_US = 10_000;

export interface AudioOutEvent {
  event: "audio_out";
  wav_frame: number;
  host_us: number;
  sample_rate: number;
}

export interface SimAudioOptions {
  nativeFormats: readonly PcmFormat[];
  wavFile?: string;
  sound?: boolean;
  /** Receives the audio_out events (with --audio). */
  onEvent?: (e: AudioOutEvent) => void;
}

export class SimAudioOutput {
  readonly sink: TimedSink;
  private wav: WavWriter | undefined;
  private readonly wavFile: string | undefined;
  private player: ChildProcess | undefined;
  private playerFormat: PcmFormat | undefined;
  private soundOn: boolean;
  private readonly log: LogPort;
  private readonly clock: OutputClock;
  private readonly onEvent: ((e: AudioOutEvent) => void) | undefined;
  /** Frames of the current run converted so far (input side), for exact rate conversion. */
  private runIn = 0;
  private zeros = new Uint8Array(0);

  constructor(clock: OutputClock, log: LogPort, o: SimAudioOptions) {
    this.log = log;
    this.clock = clock;
    this.wavFile = o.wavFile;
    this.onEvent = o.onEvent;
    this.soundOn = o.sound ?? process.env.SENDSPIN_SIM_SOUND !== "0";
    this.sink = new TimedSink(clock, {
      nativeFormats: o.nativeFormats,
      capacityMs: DESKTOP_OUTPUT_MS + 50,
      latencyUs: DAC_LATENCY_US,
      tickMs: 5,
      onAnchor: (anchorUs, format) => this.anchor(anchorUs, format),
      onPlay: (pcm, format, gain) => this.play(pcm, format, gain),
      onSilence: (frames, format) => this.play(this.silence(frames, format), format, 1),
    });
  }

  /** Frames written to the WAV file so far. */
  wavFrames(): number {
    return this.wav ? this.wav.bytesWritten() / ((this.wav.format.channels * this.wav.format.bitsPerSample) >> 3) : 0;
  }

  close(): void {
    this.sink.close();
    this.wav?.close();
    this.wav = undefined;
    if (this.player) {
      this.player.stdin?.end();
      this.player = undefined;
    }
  }

  /** A run of the DAC starts: its frame 0 plays at local `anchorUs`. */
  private anchor(anchorUs: number, format: PcmFormat): void {
    this.runIn = 0;
    if (!this.wavFile) return;
    const wav = this.openWav(format);
    if (!wav) return;
    this.onEvent?.({
      event: "audio_out",
      wav_frame: this.wavFrames(),
      host_us: Math.round(this.clock.hostUsOf ? this.clock.hostUsOf(anchorUs) : anchorUs),
      sample_rate: wav.format.sampleRate * (this.clock.rate ?? 1),
    });
  }

  private openWav(format: PcmFormat): WavWriter | undefined {
    if (!this.wav && this.wavFile) {
      try {
        this.wav = new WavWriter(this.wavFile, format);
        this.log.log("info", `audio: writing ${format.sampleRate} Hz / ${format.bitsPerSample}-bit / ${format.channels} ch to ${this.wavFile}`);
      } catch (e) {
        this.log.log("error", `audio: ${this.wavFile}: ${String(e)}`);
      }
    }
    return this.wav;
  }

  private silence(frames: number, format: PcmFormat): Uint8Array {
    const bytes = frames * ((format.channels * format.bitsPerSample) >> 3);
    if (this.zeros.length < bytes) this.zeros = new Uint8Array(bytes);
    return this.zeros.subarray(0, bytes);
  }

  private play(pcm: Uint8Array, format: PcmFormat, gain: number): void {
    const frames = pcm.length / ((format.channels * format.bitsPerSample) >> 3);
    const wav = this.wavFile ? this.openWav(format) : undefined;
    if (wav) {
      try {
        // The WAV's frame count follows the run's duration exactly, whatever the rate conversion rounds.
        const r = wav.format.sampleRate / format.sampleRate;
        const out = Math.floor((this.runIn + frames) * r) - Math.floor(this.runIn * r);
        wav.write(convertPcm(pcm, format, wav.format, gain, out));
      } catch (e) {
        this.log.log("error", `audio: ${this.wavFile}: ${String(e)}`);
        this.wav = undefined;
      }
    }
    this.runIn += frames;
    if (this.soundOn) this.toDevice(pcm, format, gain);
  }

  private toDevice(pcm: Uint8Array, format: PcmFormat, gain: number): void {
    if (!this.player) {
      this.playerFormat = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
      const f = this.playerFormat;
      try {
        const p = spawn("aplay", ["-q", "-t", "raw", "-f", f.bitsPerSample === 24 ? "S24_3LE" : "S16_LE", "-r", String(f.sampleRate), "-c", String(f.channels)], { stdio: ["pipe", "ignore", "ignore"] });
        p.on("error", () => this.soundOff("aplay is not available"));
        p.on("exit", (code) => {
          if (this.player === p) this.soundOff(`aplay exited (${code}): no sound device?`);
        });
        p.stdin?.on("error", () => {});
        this.player = p;
      } catch {
        this.soundOff("aplay is not available");
        return;
      }
    }
    const f = this.playerFormat!;
    const data = sameFormat(format, f) && gain >= 1 ? pcm : convertPcm(pcm, format, f, gain);
    this.player.stdin?.write(Buffer.from(data));
  }

  private soundOff(why: string): void {
    if (!this.soundOn) return;
    this.soundOn = false;
    this.player = undefined;
    this.log.log("info", `audio: no sound device output (${why}); audio is still timed${this.wavFile ? " and written to " + this.wavFile : ""}`);
  }
}
