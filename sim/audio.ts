// The simulator's audio output: a sink that plays by the clock (modules/audio/timed-sink.ts); each
// buffer, when it starts playing, goes to the WAV file given with --audio (in the format of the first
// stream opened; later streams are converted to it) and to the sound device through `aplay` when one is
// available (ALSA's player; its absence or failure is logged once and never stops the simulator). Set
// SENDSPIN_SIM_SOUND=0 to keep the sound device out (the tests do).

import { spawn, type ChildProcess } from "node:child_process";
import type { ClockPort, LogPort, PcmFormat } from "../modules/platform.js";
import { TimedSink } from "../modules/audio/timed-sink.js";
import { convertPcm, sameFormat } from "./pcm.js";
import { WavWriter } from "./wav-writer.js";

export interface SimAudioOptions {
  nativeFormats: readonly PcmFormat[];
  wavFile?: string;
  sound?: boolean;
}

export class SimAudioOutput {
  readonly sink: TimedSink;
  private wav: WavWriter | undefined;
  private readonly wavFile: string | undefined;
  private player: ChildProcess | undefined;
  private playerFormat: PcmFormat | undefined;
  private soundOn: boolean;
  private readonly log: LogPort;

  constructor(clock: ClockPort, log: LogPort, o: SimAudioOptions) {
    this.log = log;
    this.wavFile = o.wavFile;
    this.soundOn = o.sound ?? process.env.SENDSPIN_SIM_SOUND !== "0";
    this.sink = new TimedSink(clock, {
      nativeFormats: o.nativeFormats,
      capacityMs: 200,
      latencyUs: 20_000,
      tickMs: 5,
      onPlay: (pcm, format, gain) => this.play(pcm, format, gain),
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

  private play(pcm: Uint8Array, format: PcmFormat, gain: number): void {
    if (this.wavFile) {
      try {
        if (!this.wav) {
          this.wav = new WavWriter(this.wavFile, format);
          this.log.log("info", `audio: writing ${format.sampleRate} Hz / ${format.bitsPerSample}-bit / ${format.channels} ch to ${this.wavFile}`);
        }
        this.wav.write(convertPcm(pcm, format, this.wav.format, gain));
      } catch (e) {
        this.log.log("error", `audio: ${this.wavFile}: ${String(e)}`);
        this.wav = undefined;
      }
    }
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
